import pytest
from PySide6.QtCore import QSettings

from wenze_desktop.gui.settings import GuiSettings


@pytest.fixture
def gui_settings(tmp_path) -> GuiSettings:
    """Preferences in a throwaway file, never the tester's own."""
    return GuiSettings(QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat))
