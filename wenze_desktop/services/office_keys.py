"""This office's transfer keys and the other offices it trusts (the security officer's business)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wenze_desktop.domain.exchange import OfficeKey
from wenze_desktop.domain.models import WorkspaceInfo
from wenze_desktop.errors import ValidationError
from wenze_desktop.security.permissions import Permission
from wenze_desktop.services.context import ServiceContext
from wenze_desktop.transfer.keys import OfficeKeyPair, PublicOfficeKey, parse_key_text


@dataclass(frozen=True)
class OfficeInfo:
    id: str
    office_name: str
    fingerprint: str
    own: bool
    added_by: str
    added_at: datetime
    removed_at: datetime | None

    @property
    def active(self) -> bool:
        return self.removed_at is None


def _info(row: OfficeKey) -> OfficeInfo:
    return OfficeInfo(row.id, row.office_name, row.fingerprint, row.own, row.added_by, row.added_at, row.removed_at)


def office_name(session: Session) -> str:
    info = session.scalars(select(WorkspaceInfo)).one()
    return info.organ_name or info.name


def own_key_row(session: Session, ctx: ServiceContext) -> OfficeKey:
    """The workspace's own key pair, made (and audited) the first time a workspace from before keys needs one."""
    row = session.scalars(select(OfficeKey).where(OfficeKey.own.is_(True), OfficeKey.removed_at.is_(None))).first()
    if row is not None:
        return row
    workspace_id = session.scalars(select(WorkspaceInfo.id)).one()
    pair = OfficeKeyPair.generate(workspace_id, office_name(session))
    p = pair.public
    row = OfficeKey(own=True, office_id=p.office_id, office_name=p.office_name, signing_key=p.signing_key,
                    recipient=p.recipient, fingerprint=p.fingerprint, signing_secret=pair.signing_secret,
                    age_identity=pair.age_identity, added_by=ctx.user.username, added_at=ctx.clock(),
                    updated_at=ctx.clock())
    session.add(row)
    session.flush()
    ctx.audit(session, "key.create", "office_key", row.id, new={"fingerprint": p.fingerprint,
                                                                "office_name": p.office_name})
    return row


def pair_of(row: OfficeKey) -> OfficeKeyPair:
    return OfficeKeyPair(public_of(row), row.signing_secret, row.age_identity)


def public_of(row: OfficeKey) -> PublicOfficeKey:
    return PublicOfficeKey(row.office_id, row.office_name, row.signing_key, row.recipient)


def trusted_row(session: Session, fingerprint: str) -> OfficeKey | None:
    return session.scalars(select(OfficeKey).where(OfficeKey.fingerprint == fingerprint,
                                                   OfficeKey.removed_at.is_(None))).first()


class OfficeKeyService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def own(self) -> OfficeInfo:
        with self.ctx.transaction() as s:
            return _info(own_key_row(s, self.ctx))

    def export_public(self) -> tuple[str, str]:
        """(key file text, QR text) of this office's public key; the export is audited."""
        with self.ctx.transaction(Permission.KEY_MANAGE, action="key.export", object_type="office_key") as s:
            row = own_key_row(s, self.ctx)
            pair = pair_of(row)
            self.ctx.audit(s, "key.export", "office_key", row.id, new={"fingerprint": row.fingerprint})
            return pair.key_file(), pair.qr_text()

    def preview(self, text: str) -> PublicOfficeKey:
        """Read a key file without trusting it yet (the dialog shows the fingerprint to compare first)."""
        return parse_key_text(text)

    def trust(self, text: str) -> OfficeInfo:
        """Import another office's public key as trusted (sender and recipient)."""
        key = parse_key_text(text)
        with self.ctx.transaction(Permission.KEY_MANAGE, action="key.import", object_type="office_key") as s:
            existing = s.scalars(select(OfficeKey).where(OfficeKey.fingerprint == key.fingerprint)).first()
            if existing is not None and existing.own:
                raise ValidationError("这是本单位自己的公钥，无需导入。")
            if existing is not None and existing.removed_at is None:
                if existing.office_name != key.office_name:
                    self.ctx.update(s, existing, ["office_name"], {"office_name": key.office_name},
                                    "key.rename", "office_key")
                return _info(existing)
            if existing is None:
                existing = OfficeKey(own=False, office_id=key.office_id, office_name=key.office_name,
                                     signing_key=key.signing_key, recipient=key.recipient,
                                     fingerprint=key.fingerprint, updated_at=self.ctx.clock())
                s.add(existing)
            existing.office_name, existing.removed_at = key.office_name, None
            existing.added_by, existing.added_at = self.ctx.user.username, self.ctx.clock()
            s.flush()
            self.ctx.audit(s, "key.import", "office_key", existing.id,
                           new={"office_name": key.office_name, "fingerprint": key.fingerprint})
            return _info(existing)

    def remove(self, fingerprint: str) -> None:
        """Stop trusting an office: its packages are refused and nothing can be sent to it. Kept for the record."""
        with self.ctx.transaction(Permission.KEY_MANAGE, action="key.remove", object_type="office_key") as s:
            row = find_office(s, fingerprint)
            if row.own:
                raise ValidationError("不能移除本单位自己的密钥。")
            row.removed_at = self.ctx.clock()
            self.ctx.audit(s, "key.remove", "office_key", row.id,
                           new={"office_name": row.office_name, "fingerprint": row.fingerprint})

    def offices(self, include_removed: bool = False) -> list[OfficeInfo]:
        with self.ctx.transaction() as s:
            own_key_row(s, self.ctx)
            rows = s.scalars(select(OfficeKey).order_by(OfficeKey.own.desc(), OfficeKey.office_name))
            return [_info(r) for r in rows if include_removed or r.removed_at is None]

    def find(self, name_or_fingerprint: str) -> OfficeInfo:
        with self.ctx.transaction() as s:
            return _info(find_office(s, name_or_fingerprint))


def find_office(s: Session, wanted: str) -> OfficeKey:
    """A trusted (or our own) office by its name or fingerprint (dashes optional)."""
    wanted = wanted.strip()
    rows = [r for r in s.scalars(select(OfficeKey).where(OfficeKey.removed_at.is_(None)))
            if wanted.upper().replace("-", "") == r.fingerprint.replace("-", "") or wanted == r.office_name]
    if len(rows) != 1:
        raise ValidationError(f"找不到可信单位“{wanted}”（请用单位名称或公钥指纹）。" if not rows else
                              f"有多个单位名为“{wanted}”，请改用公钥指纹。")
    return rows[0]
