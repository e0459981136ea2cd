"""Per-user GUI preferences (window layout, last user) over QSettings; never any case data."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings

from wenze_desktop import APP_NAME


class GuiSettings:
    def __init__(self, settings: QSettings | None = None):
        self._s = settings or QSettings(APP_NAME, APP_NAME)

    def last_username(self) -> str:
        return str(self._s.value("login/last_username", "") or "")

    def set_last_username(self, username: str) -> None:
        self._s.setValue("login/last_username", username)

    def window_state(self, name: str) -> tuple[QByteArray | None, QByteArray | None]:
        return self._s.value(f"{name}/geometry"), self._s.value(f"{name}/state")

    def save_window_state(self, name: str, geometry: QByteArray, state: QByteArray | None = None) -> None:
        self._s.setValue(f"{name}/geometry", geometry)
        if state is not None:
            self._s.setValue(f"{name}/state", state)
        self._s.sync()

    def header_state(self, name: str) -> QByteArray | None:
        """A table's column order, widths and sort column."""
        return self._s.value(f"{name}/header")

    def save_header_state(self, name: str, state: QByteArray) -> None:
        self._s.setValue(f"{name}/header", state)
        self._s.sync()

    def board_pinned(self) -> bool:
        """The deadline board stays on case tabs too (视图 → 固定期限看板); by default it gives way to the case."""
        return str(self._s.value("board/pinned", "false")).lower() == "true"

    def set_board_pinned(self, pinned: bool) -> None:
        self._s.setValue("board/pinned", "true" if pinned else "false")
        self._s.sync()
