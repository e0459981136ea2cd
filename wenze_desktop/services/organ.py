"""The issuing organ as its documents show it: letterhead settings (system administrator) and seals (security
officer). Seal images live in the encrypted database; every registration and retirement is audited with its hash."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wenze_desktop.documents.content import Letterhead
from wenze_desktop.documents.numbering import DEFAULT_KIND_CODES
from wenze_desktop.documents.seal_image import check_seal_png
from wenze_desktop.domain.models import DocumentSettings, Seal, WorkspaceInfo
from wenze_desktop.errors import IntegrityFailure, ValidationError
from wenze_desktop.procedure.actions import DOCUMENT_KINDS
from wenze_desktop.security.permissions import Permission, permissions_of
from wenze_desktop.services.context import ServiceContext

SETTING_FIELDS = ["mark", "signing_organ", "organ_code", "kind_codes", "printer", "cc"]


@dataclass(frozen=True)
class SealInfo:
    id: str
    name: str
    sha256: str
    width: int
    height: int
    registered_by: str
    registered_at: datetime
    retired_at: datetime | None

    @property
    def active(self) -> bool:
        return self.retired_at is None


def _seal_info(s: Seal) -> SealInfo:
    return SealInfo(s.id, s.name, s.sha256, s.width, s.height, s.registered_by, s.registered_at, s.retired_at)


def letterhead(session: Session) -> Letterhead:
    """The settings as documents use them; until the administrator sets them, the workspace's organ name."""
    row = session.scalars(select(DocumentSettings)).first()
    info = session.scalars(select(WorkspaceInfo)).one()
    fallback = info.organ_name or info.name
    if row is None:
        return Letterhead(mark=fallback)
    return Letterhead(mark=row.mark or fallback, signing_organ=row.signing_organ, organ_code=row.organ_code,
                      kind_codes=dict(row.kind_codes or {}), printer=row.printer, cc=row.cc)


def active_seal(session: Session) -> Seal | None:
    return session.scalars(select(Seal).where(Seal.retired_at.is_(None)).order_by(Seal.registered_at.desc())).first()


def seal_image(seal: Seal) -> bytes:
    data = seal.content
    if hashlib.sha256(data).hexdigest() != seal.sha256:
        raise IntegrityFailure(f"印章「{seal.name}」的图像与登记时的哈希不符，可能已被篡改；请安全保密管理员重新登记。")
    return data


@dataclass
class OrganService:
    ctx: ServiceContext

    # -- letterhead --------------------------------------------------------------------------------------------------

    def letterhead(self) -> Letterhead:
        with self.ctx.workspace.session() as s:
            return letterhead(s)

    def set_letterhead(self, **changes: Any) -> None:
        unknown = set(changes) - set(SETTING_FIELDS)
        if unknown:
            raise ValidationError(f"未知的文书设置：{'、'.join(sorted(unknown))}")
        codes = changes.get("kind_codes") or {}
        if set(codes) - set(DOCUMENT_KINDS):
            raise ValidationError(f"未知的文书种类：{'、'.join(sorted(set(codes) - set(DOCUMENT_KINDS)))}")
        if any(ch in str(code) for code in codes.values() for ch in "{}〔〕"):
            raise ValidationError("文种代字中不能含有 { } 〔 〕。")
        for key in ("mark", "signing_organ", "organ_code", "printer"):
            if key in changes:
                changes[key] = str(changes[key] or "").strip()
                if any(ch in changes[key] for ch in "{}〔〕"):
                    raise ValidationError("机关名称和代字中不能含有 { } 〔 〕。")
        with self.ctx.transaction(Permission.CONFIG_MANAGE, action="document.settings",
                                  object_type="document_settings") as s:
            row = s.scalars(select(DocumentSettings)).first()
            if row is None:
                row = DocumentSettings(mark="", signing_organ="", organ_code="", kind_codes={}, printer="", cc="")
                s.add(row)
                s.flush()
            self.ctx.update(s, row, SETTING_FIELDS, changes, "document.settings", "document_settings")

    @staticmethod
    def kind_code(head: Letterhead, kind: str) -> str:
        return head.kind_codes.get(kind) or DEFAULT_KIND_CODES[kind]

    # -- seals -------------------------------------------------------------------------------------------------------

    def register_seal(self, name: str, png: bytes) -> SealInfo:
        """Register a seal image; it becomes the one documents are sealed with (earlier seals are retired)."""
        self.ctx.require(Permission.SEAL_MANAGE, action="seal.register", object_type="seal")
        name = name.strip()
        if not name:
            raise ValidationError("请填写印章名称（如：中共××市纪律检查委员会）。")
        width, height = check_seal_png(png)
        digest = hashlib.sha256(png).hexdigest()
        with self.ctx.transaction() as s:
            now = self.ctx.clock()
            for old in s.scalars(select(Seal).where(Seal.retired_at.is_(None))):
                old.retired_at = now
                self.ctx.audit(s, "seal.retire", "seal", old.id, new={"sha256": old.sha256, "replaced": True})
            seal = Seal(name=name, sha256=digest, width=width, height=height, content=png,
                        registered_by=self.ctx.user.username, registered_at=now)
            s.add(seal)
            s.flush()
            self.ctx.audit(s, "seal.register", "seal", seal.id,
                           new={"name": name, "sha256": digest, "width": width, "height": height})
            return _seal_info(seal)

    def retire_seal(self, seal_id: str) -> None:
        with self.ctx.transaction(Permission.SEAL_MANAGE, action="seal.retire", object_type="seal",
                                  object_id=seal_id) as s:
            seal = s.get(Seal, seal_id)
            if seal is None or seal.retired_at is not None:
                raise ValidationError("该印章不存在或已停用。")
            seal.retired_at = self.ctx.clock()
            self.ctx.audit(s, "seal.retire", "seal", seal.id, new={"sha256": seal.sha256})

    def seals(self) -> list[SealInfo]:
        with self.ctx.workspace.session() as s:
            return [_seal_info(x) for x in s.scalars(select(Seal).order_by(Seal.registered_at.desc()))]

    def seal_png(self, seal_id: str) -> bytes:
        """The image (hash-checked) for showing it to the officer; only those who manage or use seals see it."""
        if Permission.DOCUMENT_SEAL not in permissions_of(self.ctx.user.roles):
            self.ctx.require(Permission.SEAL_MANAGE, action="seal.view", object_type="seal", object_id=seal_id)
        with self.ctx.workspace.session() as s:
            seal = s.get(Seal, seal_id)
            if seal is None:
                raise ValidationError("该印章不存在。")
            return seal_image(seal)
