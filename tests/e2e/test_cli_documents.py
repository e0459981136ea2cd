"""`wenze document` and `wenze verify-document` as a batch printer or an acceptance check runs them."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.e2e.test_cli import wenze
from tests.unit.document_helpers import A4_PT, fonts, page_sizes, text
from wenze_desktop.domain.models import Case
from wenze_desktop.security.kdf import FAST_TEST_PARAMS
from wenze_desktop.services.demo import DEMO_CLERK_USERNAME, DEMO_PASSWORD, DEMO_USERNAME, build_demo

LOGIN = DEMO_PASSWORD + "\n"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo workspace (letterhead and a 样章 registered) and the numbers of cases whose decision can issue."""
    data_dir = tmp_path_factory.mktemp("docs") / "demo"
    ws = build_demo(data_dir, today=date(2026, 11, 23), params=FAST_TEST_PARAMS)
    try:
        with ws.ctx.workspace.session() as s:
            cases = list(s.execute(select(Case.id, Case.number).order_by(Case.number)))
        decision = {number: next((c for c in ws.documents.choices(case_id) if c.kind == "decision"), None)
                    for case_id, number in cases}
        ready = [n for n, c in decision.items() if c is not None and c.refusal is None and c.current is None]
        not_ready = next(n for n, c in decision.items() if c is not None and c.refusal)
    finally:
        ws.close()
    return data_dir, ready, not_ready


def document(data_dir, *args, user=DEMO_USERNAME):
    return wenze("document", "--data-dir", str(data_dir), "--user", user, *args, stdin=LOGIN)


def test_document_writes_a_sealed_a4_pdf_that_verifies_and_a_reprint_is_identical(demo, tmp_path):
    data_dir, ready, _ = demo
    out = tmp_path / "decision.pdf"
    result = document(data_dir, "--case", ready[0], "--kind", "decision", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "已盖章" in result.stdout
    pdf = out.read_bytes()
    assert all(size == pytest.approx(A4_PT, abs=0.5) for size in page_sizes(pdf))
    assert all(fonts(pdf).values()) and "问责的决定" in text(pdf)

    again = tmp_path / "reprint.pdf"
    assert document(data_dir, "--case", ready[0], "--kind", "decision", "--out", str(again)).returncode == 0
    assert again.read_bytes() == pdf, "a reprint is the file as issued, byte for byte"

    verify = wenze("verify-document", str(out), "--data-dir", str(data_dir), "--user", DEMO_USERNAME, stdin=LOGIN)
    assert verify.returncode == 0, verify.stderr
    assert ready[0] in verify.stdout and "未被改动" in verify.stdout

    altered = tmp_path / "altered.pdf"
    data = bytearray(pdf)
    data[len(data) // 2] ^= 0x20
    altered.write_bytes(bytes(data))
    refused = wenze("verify-document", str(altered), "--data-dir", str(data_dir), "--user", DEMO_USERNAME,
                    stdin=LOGIN)
    assert refused.returncode != 0 and "已被改动" in refused.stdout


def test_a_clerk_gets_an_unsealed_document_and_cannot_force_a_seal(demo, tmp_path):
    data_dir, ready, _ = demo
    out = tmp_path / "report.pdf"
    forced = document(data_dir, "--case", ready[1], "--kind", "decision", "--seal", "--out", str(out),
                      user=DEMO_CLERK_USERNAME)
    assert forced.returncode != 0 and "加盖印章" in forced.stderr and not out.exists()
    plain = document(data_dir, "--case", ready[1], "--kind", "decision", "--out", str(out), user=DEMO_CLERK_USERNAME)
    assert plain.returncode == 0, plain.stderr
    assert "未盖章" in plain.stdout and "没有“加盖印章”权限" in plain.stderr


def test_batch_output_to_a_folder_with_progress(demo, tmp_path):
    data_dir, ready, _ = demo
    folder = tmp_path / "batch"
    folder.mkdir()
    args = [arg for number in ready[2:5] for arg in ("--case", number)]
    result = document(data_dir, *args, "--kind", "decision", "--out", str(folder))
    assert result.returncode == 0, result.stderr
    assert len(list(folder.glob("*.pdf"))) == len(ready[2:5]) and "[1/" in result.stderr


def test_a_document_whose_step_is_not_reached_is_refused_saying_which_record_is_missing(demo, tmp_path):
    data_dir, _, not_ready = demo
    out = tmp_path / "no.pdf"
    result = document(data_dir, "--case", not_ready, "--kind", "decision", "--out", str(out))
    assert result.returncode == 9 and "尚未记录“作出问责决定”" in result.stderr and not out.exists()
    unknown = document(data_dir, "--case", "NO-SUCH-CASE", "--kind", "decision", "--out", str(out))
    assert unknown.returncode != 0 and "找不到" in unknown.stderr
