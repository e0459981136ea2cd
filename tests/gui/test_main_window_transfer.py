"""The main window offers the exchange: export of the cases selected in the registry, import, conflicts, keys."""

from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QMessageBox

from tests.gui.test_main_window import make_window
from wenze_desktop.gui import main_window as main_window_module
from wenze_desktop.services.cases import CaseService


def test_export_takes_every_selected_case_and_the_menus_are_there(qtbot, ctx, gui_settings, monkeypatch):
    cases = CaseService(ctx)
    ids = [cases.create_case(f"C-{i}", f"案件{i}", "gz2009") for i in range(3)]
    window = make_window(qtbot, ctx, gui_settings)
    table = window.registry.table
    qtbot.waitUntil(lambda: window.registry.model.rowCount() == 3, timeout=5000)
    opened = []

    class FakeExport:
        def __init__(self, ctx_, case_ids, parent, settings=None):
            opened.append(list(case_ids))

        def exec(self):
            return 0

    monkeypatch.setattr(main_window_module, "ExportDialog", FakeExport)
    selection = table.selectionModel()
    for row in (0, 2):
        selection.select(window.registry.model.index(row, 0),
                         QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    window.export_action.trigger()
    assert len(opened) == 1 and len(opened[0]) == 2 and set(opened[0]) <= set(ids)

    selection.clearSelection()
    table.setCurrentIndex(window.registry.model.index(-1, -1))
    asked = []
    monkeypatch.setattr(QMessageBox, "information", lambda *args: asked.append(args[2]))
    window.export_action.trigger()
    assert len(opened) == 1 and "请先在案件登记中选择" in asked[0]

    texts = [a.text() for a in window.menuBar().actions()[0].menu().actions()]
    assert {"导出到U盘(&E)…", "导入数据包(&I)…", "交换冲突(&C)…"} <= set(texts)
    admin = [a.text() for a in window.menuBar().actions()[3].menu().actions()]
    assert "单位密钥（U盘交换）(&K)…" in admin
