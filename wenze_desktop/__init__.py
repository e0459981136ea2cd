"""Wenze Desktop (问责案件办理系统): offline handling of accountability cases."""

__version__ = "0.1.0"
APP_NAME = "WenzeDesktop"
APP_TITLE = "问责案件办理系统"
