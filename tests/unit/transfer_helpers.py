"""Two offices with keys exchanged, a case with parts worth carrying, and a dump of everything but the audit log."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import text

from tests.conftest import ADMIN, ADMIN_PASSWORD
from tests.unit.procedure_helpers import new_case
from wenze_desktop.security.kdf import FAST_TEST_PARAMS
from wenze_desktop.services import Workspace, walkthrough

# What an import may change. The audit log is not here: every import attempt, refused or not, is recorded.
DATA_TABLES = ("case_file", "clue", "respondent", "attachment", "evidence", "procedure_event", "case_deadline",
               "accountability", "restriction", "issued_document", "case_revision", "received_audit_entry",
               "transfer_conflict", "office_key")


def office(root: Path, name: str, clock) -> Workspace:
    return Workspace.create(root / name, ADMIN, ADMIN_PASSWORD, workspace_name=f"{name}工作区", organ_name=name,
                            params=FAST_TEST_PARAMS, clock=clock)


def befriend(a: Workspace, b: Workspace) -> None:
    """Each trusts the other's public key (as the security officers would after comparing fingerprints)."""
    a.keys.trust(b.keys.export_public()[0])
    b.keys.trust(a.keys.export_public()[0])


def key_file(ws: Workspace, path: Path) -> Path:
    path.write_text(ws.keys.export_public()[0], "utf-8")
    return path


def rich_case(ws: Workspace, number_hint: str = "张三", attachment: bytes = b"%PDF-1.4 evidence scan") -> str:
    """A case with a clue, respondent, attachment, evidence, procedure events and an issued document."""
    case_id = new_case(ws, "gz2009", name=number_hint, received=date(2026, 3, 2))
    att = ws.cases.add_attachment(case_id, "现场照片.pdf", attachment)
    ws.cases.add_evidence(case_id, title="现场照片", kind="视听资料", source="群众提供", attachment_id=att)
    walkthrough.walk(ws.procedure, case_id, until="decided", start=date(2026, 3, 3))
    choice = next(c for c in ws.documents.choices(case_id) if c.refusal is None and c.kind == "decision")
    ws.documents.issue(case_id, choice.kind, sealed=False)
    return case_id


def dump(ws: Workspace) -> dict[str, list]:
    """Every row of every data table (blobs as they are), to compare a workspace before and after."""
    with ws.ctx.workspace.engine.connect() as conn:
        return {t: sorted(tuple(r) for r in conn.execute(text(f"SELECT * FROM {t}"))) for t in DATA_TABLES}


def audit_of(ws: Workspace, case_id: str) -> list[tuple]:
    """The case's audit trail as the exporting office holds it."""
    from wenze_desktop.transfer.snapshot import case_record, record_ids

    with ws.ctx.workspace.session() as s:
        ids = record_ids(case_record(s, case_id))
    with ws.ctx.workspace.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, seq, at, username, action, object_type, object_id, old_values, "
                                 "new_values, success, prev_hash, hash FROM audit_entry ORDER BY seq"))
        return [tuple(r) for r in rows if r.object_id in ids]


def received_audit(ws: Workspace, case_id: str) -> list[tuple]:
    with ws.ctx.workspace.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, seq, at, username, action, object_type, object_id, old_values, "
                                 "new_values, success, prev_hash, hash FROM received_audit_entry "
                                 "WHERE case_id = :c ORDER BY seq"), {"c": case_id})
        return [tuple(r) for r in rows]
