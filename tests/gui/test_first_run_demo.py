"""First run: the newcomer clicks 建立演示工作区, waits for the build, and is signed in as the demo administrator."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from sqlalchemy import func, select

from wenze_desktop.domain.models import Case
from wenze_desktop.gui.first_run import FirstRunDialog
from wenze_desktop.security.kdf import FAST_TEST_PARAMS
from wenze_desktop.services.demo import DEMO_PASSWORD, DEMO_USERNAME
from wenze_desktop.services.demo_cases import CASES
from wenze_desktop.storage.workspace import Workspace


def test_demo_choice_builds_the_demo_and_signs_in(qtbot, data_dir, clock):
    dialog = FirstRunDialog(data_dir, kdf_params=FAST_TEST_PARAMS, clock=clock)
    qtbot.addWidget(dialog)
    dialog.show()
    texts = " ".join(label.text() for label in dialog.findChildren(type(dialog.error)))
    assert DEMO_USERNAME in texts and DEMO_PASSWORD in texts  # the password is explained before clicking
    qtbot.mouseClick(dialog.demo_button, Qt.MouseButton.LeftButton)
    assert not dialog.demo_button.isEnabled()  # no second build while the first runs
    qtbot.waitUntil(lambda: getattr(dialog, "demo_notice", None) is not None, timeout=60000)
    notice = dialog.demo_notice.text()
    assert DEMO_PASSWORD in notice and DEMO_USERNAME in notice
    dialog.demo_notice.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert Workspace.exists(data_dir)
    assert dialog.ctx.user.username == DEMO_USERNAME and dialog.ctx.user.display_name == "演示管理员"
    with dialog.ctx.workspace.session() as s:
        assert s.scalar(select(func.count(Case.id))) == len(CASES)
    dialog.ctx.workspace.close()


def test_demo_refused_where_a_workspace_exists(qtbot, workspace, clock):
    ctx = workspace[0]
    dialog = FirstRunDialog(ctx.workspace.data_dir, kdf_params=FAST_TEST_PARAMS, clock=clock)
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.demo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.demo_button.isEnabled(), timeout=10000)
    qtbot.wait(50)  # let the progress dialog's deleteLater run before the test tears the dialog down
    assert "已有工作区" in dialog.error.text() or "已存在" in dialog.error.text()
    assert dialog.ctx is None
