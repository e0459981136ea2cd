"""Where the application finds its own files (source checkout or PyInstaller bundle) and its data."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from platformdirs import user_data_dir

from wenze_desktop import APP_NAME

DB_FILE = "wenze.db"
KEYRING_FILE = "wenze.keys"
LOGIN_STATE_FILE = "login-state.json"
BACKUP_DIR = "backups"


def app_root() -> Path:
    """The folder holding ``resources/``, ``ui/`` and ``db/migrations/``."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root)
    return Path(__file__).resolve().parent.parent


def resources_dir() -> Path:
    return app_root() / "resources"


def ui_dir() -> Path:
    return app_root() / "ui"


def migrations_dir() -> Path:
    return app_root() / "db" / "migrations"


def default_data_dir() -> Path:
    """The per-user data directory; ``WENZE_DATA_DIR`` overrides it (handy for portable installs)."""
    override = os.environ.get("WENZE_DATA_DIR")
    if override:
        return Path(override)
    return Path(user_data_dir(APP_NAME, appauthor=False))
