"""Application services: the only way the GUI and the CLI change data.

Each change checks the permission, makes the change and appends its audit entry in one transaction.
"""
