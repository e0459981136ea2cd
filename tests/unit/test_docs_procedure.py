"""docs/procedure.md is generated from the engine; its worked examples must still run and match the file."""

from pathlib import Path

from scripts.procedure_doc import render

ROOT = Path(__file__).resolve().parents[2]


def test_procedure_doc_is_up_to_date():
    current = (ROOT / "docs" / "procedure.md").read_text(encoding="utf-8")
    assert render() == current, "run: .venv/bin/python scripts/procedure_doc.py"
