"""Application services: the only way the GUI and the CLI change data.

Each change checks the permission, makes the change and appends its audit entry in one transaction.
``Workspace`` bundles them for one signed-in user.
"""

from __future__ import annotations


def __getattr__(name: str):
    # Imported on first use so that importing one service module does not load them all.
    if name == "Workspace":
        from wenze_desktop.services.facade import Workspace

        return Workspace
    raise AttributeError(name)


__all__ = ["Workspace"]
