"""The PySide6 GUI: a thin client of wenze_desktop.services (the only package that imports Qt)."""
