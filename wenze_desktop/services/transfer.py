"""USB exchange between offices: export cases into a signed, encrypted package; import one after checking it,
with a dry run first and then all or nothing in one transaction.

    preview = ws.transfer.inspect(path)                 # verifies everything, writes no case data
    result = ws.transfer.apply(path, expect_sha256=preview.package_sha256)
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from wenze_desktop import crashpoints
from wenze_desktop.domain.exchange import CaseRevision, ReceivedAuditEntry
from wenze_desktop.domain.models import Attachment, AuditEntry, IssuedDocument, WorkspaceInfo
from wenze_desktop.errors import IntegrityFailure, ValidationError, WenzeError
from wenze_desktop.rules.profiles import load_profile
from wenze_desktop.security.permissions import Permission
from wenze_desktop.services import journal
from wenze_desktop.services.changes import Changes
from wenze_desktop.services.context import ServiceContext
from wenze_desktop.services.office_keys import find_office, own_key_row, pair_of, public_of, trusted_row
from wenze_desktop.services.transfer_apply import AUDIT_FIELDS, ImportRun, constraint_failures
from wenze_desktop.services.transfer_conflicts import ConflictsMixin
from wenze_desktop.services.transfer_plan import LABELS, NEW, WRITES, CasePlan, Planner, remember
from wenze_desktop.transfer import archive
from wenze_desktop.transfer.keys import PublicOfficeKey, parse_key_text
from wenze_desktop.transfer.package import IncomingCase, OutgoingCase, Package, Progress, read_package, write_package
from wenze_desktop.transfer.snapshot import case_records, content_hash, encode, files_of, record_ids


@dataclass(frozen=True)
class ExportResult:
    path: Path
    package_id: str
    sha256: str
    size: int
    case_numbers: list[str]
    recipient: str  # the office's name, or 口令


@dataclass(frozen=True)
class ImportPreview:
    path: Path
    package_id: str
    package_sha256: str
    size: int
    sender_name: str
    sender_fingerprint: str
    created_at: str
    exported_by: str
    by_passphrase: bool
    cases: list[CasePlan]
    applied: bool = False

    def count(self, *actions: str) -> int:
        return sum(1 for c in self.cases if c.action in actions)

    def summary(self) -> str:
        parts = [f"{label} {self.count(action)} 件" for action, label in LABELS.items() if self.count(action)]
        return "，".join(parts) or "无案件"


class ImportedWithError(WenzeError):
    """The import was committed, and something after it failed: the message says what was imported."""

    def __init__(self, result: ImportPreview, cause: BaseException) -> None:
        self.result = result
        super().__init__(f"数据包已导入：{result.summary()}，已写入本工作区。但导入之后出错："
                         f"{cause or type(cause).__name__}。请在案件列表中核对导入的案件"
                         "（再次导入同一数据包不会重复写入）。")


class TransferService(ConflictsMixin):
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # -- export ----------------------------------------------------------------------------------------------------

    def export(self, case_ids: list[str], out: str | Path, *, to: str | None = None, passphrase: str | None = None,
               progress: Progress | None = None) -> ExportResult:
        """Write the cases to ``out``, encrypted to the trusted office ``to`` (name or fingerprint) or to a
        passphrase; audited with who, which cases, to whom and the file's SHA-256.

        Audited before it exists: one write transaction reads the cases (a consistent snapshot), records what is
        sent (``case.export`` per case, the revisions) and the ``transfer.export`` intent naming the file; only
        then is the package written to the intent's scratch file, published (renamed into place) and the intent
        completed with its SHA-256. A failure removes whatever was written and records the failure; a process
        killed on the way leaves the intent, which the next sign-in settles from what is on disk. The
        ``case.export`` entries name the intent (``intent``: its seq): a failed intent means that package never
        came to exist."""
        if not case_ids:
            raise ValidationError("请至少选择一个案件。")
        if (to is None) == (passphrase is None):
            raise ValidationError("请选择接收单位或设置口令（二者选其一）。")
        if passphrase is not None and len(passphrase) < 8:
            raise ValidationError("口令至少需要 8 个字符（请另行告知接收方，勿与数据包放在一起）。")
        out = Path(out).absolute()
        if not out.parent.is_dir():
            raise ValidationError(f"目标文件夹 {out.parent} 不存在。")
        package_id = str(uuid.uuid4())
        with self.ctx.transaction(Permission.CASE_TRANSFER, action="transfer.export", object_type="package") as s:
            sender = pair_of(own_key_row(s, self.ctx))
            recipient = self._recipient(s, to) if to is not None else None
            info = s.scalars(select(WorkspaceInfo)).one()
            cases = self._outgoing(s, list(dict.fromkeys(case_ids)), info)
            if passphrase is not None:
                _fits_in_memory(cases)
            sender_info = {"workspace_id": info.id, "workspace_name": info.name, "organ_name": info.organ_name,
                           "office_name": sender.public.office_name}
            to_label = recipient.office_name if recipient else "口令"
            intent = journal.begin(self.ctx, s, "transfer.export", "package", package_id, new={
                "file": out.name, "path": str(out), "to": to_label,
                "to_fingerprint": recipient.fingerprint if recipient else "", "cases": [c.number for c in cases]},
                product=out)
            for case in cases:
                remember(s, case.id, case.content_hash, "sent", self.ctx)
                self.ctx.audit(s, "case.export", "case", case.id, new={
                    "package": package_id, "to": to_label, "content_hash": case.content_hash, "intent": intent.seq})
        crashpoints.step("transfer.export/intent")
        with journal.carrying_out(intent):  # a failure removes the scratch file and a published package
            # File contents are read outside the write transaction (no lock is held while the package is
            # written); each is checked against the SHA-256 the snapshot recorded.
            with self.ctx.workspace.session() as rs:
                written = write_package(out, sender=sender, sender_info=sender_info, cases=cases,
                                        load_file=lambda case_id, sha: _load_file(rs, case_id, sha),
                                        created_at=self.ctx.clock(), exported_by=self.ctx.user.username,
                                        recipient=recipient, passphrase=passphrase, progress=progress,
                                        package_id=package_id, scratch=intent.part)
            intent.publish()
            intent.complete({"file": out.name, "sha256": written.sha256, "size": written.size})
        return ExportResult(out, package_id, written.sha256, written.size, [c.number for c in cases], to_label)

    def _recipient(self, s: Session, to: str) -> PublicOfficeKey:
        path = Path(to)
        if path.is_file():
            try:
                key = parse_key_text(path.read_text("utf-8"))
            except (OSError, UnicodeDecodeError) as exc:
                raise ValidationError(f"无法读取公钥文件 {path}。") from exc
            row = trusted_row(s, key.fingerprint)
            if row is None:
                raise ValidationError(f"“{key.office_name}”（指纹 {key.fingerprint}）尚未导入为可信单位，不能向其导出。"
                                      "请安全保密管理员先核对指纹并导入其公钥（wenze keys import）。")
            return public_of(row)
        return public_of(find_office(s, to))

    def _outgoing(self, s: Session, case_ids: list[str], info: WorkspaceInfo) -> list[OutgoingCase]:
        """The cases as they will travel, read in bulk (a few queries per table, not per case)."""
        found = case_records(s, case_ids)
        missing = [cid for cid in case_ids if cid not in found]
        if missing:
            raise ValidationError(f"找不到要导出的案件 {missing[0]}。")
        owner = {rid: cid for cid, (record, _) in found.items() for rid in record_ids(record)}
        trails: dict[str, list[dict]] = {cid: [] for cid in case_ids}
        histories: dict[str, set[str]] = {cid: set() for cid in case_ids}
        own = {"origin_id": info.id, "origin_name": info.organ_name or info.name}
        ids = list(owner)
        for i in range(0, len(ids), 500):
            for e in s.scalars(select(AuditEntry).where(AuditEntry.object_id.in_(ids[i:i + 500]))):
                trails[owner[e.object_id]].append({**_entry_dict(e), **own})
        for i in range(0, len(case_ids), 500):
            chunk = case_ids[i:i + 500]
            for e in s.scalars(select(ReceivedAuditEntry).where(ReceivedAuditEntry.case_id.in_(chunk))):
                trails[e.case_id].append({**_entry_dict(e), "origin_id": e.origin_id, "origin_name": e.origin_name})
            for case_id, digest in s.execute(select(CaseRevision.case_id, CaseRevision.content_hash)
                                             .where(CaseRevision.case_id.in_(chunk))):
                histories[case_id].add(digest)
        out = []
        for case_id in case_ids:
            record, versions = found[case_id]
            data, digest = encode(record), content_hash(record)
            trail = sorted(trails[case_id], key=lambda e: (e["origin_id"] != info.id, e["origin_id"], e["seq"]))
            c = record["case"]
            out.append(OutgoingCase(case_id, c["number"], c["title"], c["regulation_id"], digest,
                                    sorted(histories[case_id] | {digest}), versions, data,
                                    json.dumps(trail, ensure_ascii=False, indent=0).encode(), files_of(record)))
        return out

    # -- import ----------------------------------------------------------------------------------------------------

    def inspect(self, path: str | Path, *, passphrase: str | None = None,
                progress: Progress | None = None) -> ImportPreview:
        """The dry run: decrypt, check signature and every hash, and say per case what importing would do."""
        path = Path(path)
        with self._refusals_audited(path, dry_run=True):
            self.ctx.require(Permission.CASE_TRANSFER, action="transfer.import", object_type="package")
            with self.ctx.workspace.session() as s:  # never committed: a dry run leaves nothing behind
                package = self._read(s, path, passphrase, progress)
                planner = Planner(s, package.cases)
                plans = [planner.plan(case) for case in package.cases]
                s.rollback()
            with self.ctx.transaction() as s:
                self.ctx.audit(s, "transfer.inspect", "package", package.package_id,
                               new=self._audit_summary(path, package, plans))
        return self._preview(package, plans)

    def apply(self, path: str | Path, *, passphrase: str | None = None, progress: Progress | None = None,
              expect_sha256: str | None = None) -> ImportPreview:
        """Import in one transaction: every check again while writing; any failure leaves the workspace as it was."""
        path = Path(path)
        with (self._refusals_audited(path, dry_run=False), constraint_failures(),
              self.ctx.transaction(Permission.CASE_TRANSFER, action="transfer.import", object_type="package") as s,
              ImportRun(self.ctx, s) as run):
            package = self._read(s, path, passphrase, progress, on_manifest=run.manifest, on_case=run.case,
                                 message="正在导入")
            if expect_sha256 is not None and package.sha256 != expect_sha256:
                raise IntegrityFailure("数据包在预览之后被更换或改动过，未导入任何内容。请重新预览。")
            run.finish(package)
            self.ctx.audit(s, "transfer.import", "package", package.package_id,
                           new=self._audit_summary(package.path, package, run.plans))
            # Everything the answer needs is built before the commit: after it, nothing may fail and leave the
            # clerk told that nothing was imported.
            result = self._preview(package, run.plans, applied=True)
            written = [p.case_id for p in run.plans if p.action in WRITES]  # conflicts leave the local case as is
            added = any(p.action == NEW for p in run.plans)
            crashpoints.step("transfer.import/before-commit")
        crashpoints.step("transfer.import/committed")
        try:
            if written:
                self.ctx.changed(Changes.cases(written, added=added, deadlines=True))
        except Exception as exc:
            raise ImportedWithError(result, exc) from exc
        return result

    def _read(self, s: Session, path: Path, passphrase: str | None, progress: Progress | None,
              on_manifest: Callable | None = None, on_case: Callable | None = None,
              message: str = "正在校验数据包") -> Package:
        own = pair_of(own_key_row(s, self.ctx))

        def trust(sender: PublicOfficeKey) -> None:
            if sender.fingerprint == own.public.fingerprint:
                return
            row = trusted_row(s, sender.fingerprint)
            if row is None or row.signing_key != sender.signing_key:
                raise IntegrityFailure(f"发送单位“{sender.office_name}”（公钥指纹 {sender.fingerprint}）不在本单位的"
                                       "可信单位名单中，拒绝导入。请安全保密管理员与对方核对指纹后导入其公钥。"
                                       "口令数据包也一样：口令只用于加密，不能证明发送方是谁。")

        def manifest(cases: list[IncomingCase]) -> None:
            for case in cases:  # before anything is written
                try:
                    load_profile(case.regulation_id)
                except (KeyError, ValueError, WenzeError) as exc:
                    raise ValidationError(f"案件 {case.number} 适用的规定（{case.regulation_id}）本程序不认识，"
                                          "请升级本程序后再导入。") from exc
            if on_manifest is not None:
                on_manifest(cases)

        return read_package(path, own=own, passphrase=passphrase, trust=trust, on_manifest=manifest,
                            on_case=on_case, progress=progress, message=message)

    @contextlib.contextmanager
    def _refusals_audited(self, path: Path, *, dry_run: bool):
        try:
            yield
        except WenzeError as exc:
            from wenze_desktop.errors import Cancelled, PermissionDenied

            if not isinstance(exc, PermissionDenied | Cancelled):  # a refused permission is audited already
                with self.ctx.transaction() as s:
                    self.ctx.audit(s, "transfer.inspect" if dry_run else "transfer.import", "package", None,
                                   new={"file": path.name, "refused": str(exc)}, success=False)
            raise

    @staticmethod
    def _audit_summary(path: Path, package: Package, plans: list[CasePlan]) -> dict:
        return {"file": path.name, "sha256": package.sha256, "size": package.size,
                "from": package.sender.office_name, "from_fingerprint": package.sender.fingerprint,
                "cases": {p.number: p.action for p in plans}}

    @staticmethod
    def _preview(package: Package, plans: list[CasePlan], applied: bool = False) -> ImportPreview:
        return ImportPreview(package.path, package.package_id, package.sha256, package.size,
                             package.sender.office_name, package.sender.fingerprint, package.created_at,
                             package.exported_by, package.recipient.get("kind") == "passphrase", plans, applied)

def _fits_in_memory(cases: list[OutgoingCase]) -> None:
    """Before anything is built: the cases and their files alone (the tar adds its headers, checked after)."""
    if reason := archive.passphrase_too_large(sum(len(c.record) + len(c.audit) + sum(c.files.values())
                                                  for c in cases)):
        raise ValidationError(reason)


def _load_file(s: Session, case_id: str, sha: str) -> bytes:
    for model in (Attachment, IssuedDocument):
        data = s.scalar(select(model.content).where(model.case_id == case_id, model.sha256 == sha).limit(1))
        if data is not None:
            return data
    raise ValidationError(f"导出过程中，案件的附件或文书（SHA-256 {sha[:12]}…）被删除或更换了，未生成数据包。"
                          "请重新导出。")


def _entry_dict(entry) -> dict:
    values = {name: getattr(entry, name) for name in AUDIT_FIELDS}
    values["at"] = entry.at.isoformat()
    return values


__all__ = ["ExportResult", "ImportPreview", "ImportedWithError", "TransferService"]
