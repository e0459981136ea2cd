"""Audited before it exists: operations that produce something outside the database.

A package, a backup or a key slot is not rolled back with a transaction. Such an operation first commits its
*intent* — an audit entry (``stage: started``) naming what it will produce, and a ``pending_operation`` row —, then
produces the thing, then commits its completion (``stage: completed``, with the file's SHA-256) or its failure
(``stage: failed``, with whatever it had produced removed). A process killed in between leaves the intent: at the
next sign-in ``reconcile`` looks at what is on disk and records the outcome, so the audit log never lacks an
entry for something that exists.

    with journal.intended(ctx, "workspace.backup", "workspace", product=out, permission=...) as intent:
        write(intent.part)       # scratch beside the product
        intent.publish()         # the product appears (atomic rename)
        intent.complete({"sha256": ...})

An operation whose database side must agree with what it produced (a key slot removed and the account marked
inactive) does not leave that side to a transaction a kill rolls back. It describes it with the intent
(``apply=database_side("staff_user", completed={...}, failed={...})``: a small explicit description, checked by
the applier registered under that name), and the journal applies it in the very transaction that records the
outcome — the operation's own completion or failure, or the next sign-in's reconciliation. So the audit entry,
the file and the rows agree after any interruption. The journal itself writes no table from a description: only
the registered appliers do, each checking its description first.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wenze_desktop import crashpoints
from wenze_desktop.domain.base import new_uuid
from wenze_desktop.domain.models import PendingOperation
from wenze_desktop.errors import CaseChanged, ValidationError, WorkspaceBusy
from wenze_desktop.security.permissions import Permission
from wenze_desktop.storage.atomic import fsync_dir
from wenze_desktop.storage.filelock import Held
from wenze_desktop.storage.files import remove_path, sha256_file, sha256_or_none
from wenze_desktop.storage.keyring import Keyring

STARTED, COMPLETED, FAILED = "started", "completed", "failed"
LABELS = {"transfer.export": "导出数据包", "workspace.backup": "备份", "user.change_password": "修改密码",
          "user.create": "建立账户", "user.reset_password": "重设密码", "user.recover_password": "凭恢复密钥重设密码",
          "user.deactivate": "停用账户", "config.login_policy": "修改登录策略", "document.export": "输出文书",
          "list.export": "导出列表"}


def keyring_digest(ring: Keyring, part: str) -> str | None:
    """A fingerprint of one part of the slot file (``slot:<username>`` or ``policy``); None when absent."""
    if part == "policy":
        value: Any = {"policy": ring.policy.__dict__, "mac": ring.policy_mac}
    else:
        value = ring.slots.get(part.removeprefix("slot:"))
    if value is None:
        return None
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


# -- the database side of an operation, applied with its outcome ------------------------------------------------

@dataclass(frozen=True)
class Applier:
    check: Callable[[dict], None]  # raises ValueError for a description it does not accept
    apply: Callable[[Any, Session, dict, dict], None]  # (ctx, session, description, {"intent": seq, ...})


_APPLIERS: dict[str, Applier] = {}
# The modules that register appliers. A sign-in that settles an intent may not have imported them (the command
# line signs in without the account service), so they are imported when an unknown name is met.
APPLIER_MODULES = ("wenze_desktop.services.accounts",)


def applier(name: str, check: Callable[[dict], None]):
    """Register ``fn(ctx, session, description, note)`` as the applier called ``name``."""
    def register(fn: Callable[[Any, Session, dict, dict], None]):
        _APPLIERS[name] = Applier(check, fn)
        return fn
    return register


def _applier(name: str) -> Applier:
    if name not in _APPLIERS:
        for module in APPLIER_MODULES:
            importlib.import_module(module)
    try:
        return _APPLIERS[name]
    except KeyError:
        raise ValueError(f"no applier called {name!r}") from None


def database_side(by: str, completed: dict | None = None, failed: dict | None = None) -> dict:
    """The database side of an operation: ``completed`` is applied with its completion, ``failed`` with its
    failure, by the applier ``by`` (checked now, so that a wrong description never reaches an intent)."""
    found = _applier(by)
    for description in (completed, failed):
        if description is not None:
            found.check(description)
    return {"by": by, COMPLETED: completed, FAILED: failed}


def _description(traces: dict, stage: str) -> tuple[Applier, dict] | None:
    """The applier and description for ``stage`` recorded with an intent; ValueError if it is not acceptable."""
    side = traces.get("apply")
    if not side:
        return None
    if not isinstance(side, dict) or not isinstance(side.get("by"), str):
        raise ValueError("malformed database side")
    description = side.get(stage)
    if description is None:
        return None
    if not isinstance(description, dict):
        raise ValueError("malformed database side")
    found = _applier(side["by"])
    found.check(description)
    return found, description


def _apply(ctx, s: Session, traces: dict, stage: str, note: dict) -> None:
    found = _description(traces, stage)
    if found is not None:
        found[0].apply(ctx, s, found[1], note)


@dataclass
class Intent:
    ctx: Any  # ServiceContext (not imported: the context imports nothing from here)
    id: str
    seq: int
    action: str
    object_type: str
    object_id: str | None
    traces: dict = field(default_factory=dict)
    settled: bool = False
    published: bool = False
    # held by this process until the intent is settled: a sign-in elsewhere leaves a live operation alone
    alive: Held | None = field(default=None, repr=False)

    @property
    def product(self) -> Path | None:
        return Path(self.traces["product"]) if self.traces.get("product") else None

    @property
    def part(self) -> Path:
        """Where the product is written before it is published (removed if the operation does not complete)."""
        return Path(self.traces["scratch"][0])

    def publish(self) -> None:
        """Move the finished product into place (atomic rename): from here on it exists. Its SHA-256 is recorded
        with the intent first, so that a later sign-in recognises this product — and only this one — as the
        result of this operation."""
        digest = sha256_file(self.part)
        with self.ctx.transaction() as s:
            row = s.get(PendingOperation, self.id)
            if row is not None:
                row.traces = {**(row.traces or {}), "sha256": digest}
        self.traces["sha256"] = digest
        crashpoints.step(f"{self.action}/before-publish")
        os.replace(self.part, self.product)
        self.published = True
        fsync_dir(self.product.parent)
        crashpoints.step(f"{self.action}/published")

    def complete(self, new: dict | None = None, session: Session | None = None) -> None:
        """Record the completion, with the database side described at the start (in ``session`` if given, else
        in a transaction of its own)."""
        def write(s: Session) -> None:
            _apply(self.ctx, s, self.traces, COMPLETED, {"intent": self.seq})
            _settle(self.ctx, s, self.id, self.seq, self.action, self.object_type, self.object_id,
                    {**(new or {}), "stage": COMPLETED, "intent": self.seq}, True)

        if session is not None:
            write(session)
        else:
            with self.ctx.transaction() as s:
                write(s)
        self.settled = True
        self._let_go()
        crashpoints.step(f"{self.action}/completed")

    def _let_go(self) -> None:
        if self.alive is not None:
            self.alive.release()
            self.alive = None

    def fail(self, reason: str) -> None:
        """Remove what was produced and record the failure, with the database side described for a failure;
        if even that cannot be written now, the intent stays pending and the next sign-in records it."""
        for path in self.traces.get("scratch", []):
            remove_path(Path(path))
        if self.published and self.product is not None:
            remove_path(self.product)
        self.settled = True
        with contextlib.suppress(Exception), self.ctx.transaction() as s:
            _apply(self.ctx, s, self.traces, FAILED, {"intent": self.seq})
            _settle(self.ctx, s, self.id, self.seq, self.action, self.object_type, self.object_id,
                    {"stage": FAILED, "intent": self.seq, "reason": reason[:500]}, False)
        self._let_go()


def begin(ctx, session: Session, action: str, object_type: str, object_id: str | None = None,
          new: dict | None = None, *, product: Path | None = None, scratch: tuple[Path, ...] = (),
          keyring: tuple[str, str | None] | None = None, apply: dict | None = None) -> Intent:
    """Append the intent to ``session`` (the caller's write transaction commits it). ``product``: the file the
    operation will publish (its scratch copy is ``<product>.part`` unless ``scratch`` names others);
    ``keyring``: (part, digest) the slot file will hold once the operation is done; ``apply``: its database
    side (``database_side``), applied with the outcome, whoever records it."""
    alive = Held.take(ctx.workspace.data_dir / f".operation-{new_uuid()}.lock")  # a fresh name: always free
    # by name: the lock is looked for in the workspace's folder, wherever the folder is by then
    traces: dict[str, Any] = {"alive": alive.path.name} if alive is not None else {}
    if product is not None:
        product = Path(product).absolute()
        traces["product"] = str(product)
        scratch = scratch or (product.with_name(product.name + ".part"),)
    if scratch:
        traces["scratch"] = [str(Path(p).absolute()) for p in scratch]
    if keyring is not None:
        traces["keyring"] = {"part": keyring[0], "sha256": keyring[1]}
    if apply is not None:
        traces["apply"] = apply
    entry = ctx.audit(session, action, object_type, object_id, None, {**(new or {}), "stage": STARTED})
    session.add(PendingOperation(id=entry.id, seq=entry.seq, action=action, object_type=object_type,
                                 object_id=object_id, user_id=ctx.user.id, username=ctx.user.username,
                                 started_at=entry.at, traces=traces))
    # If the caller's transaction then fails, the lock is released by the intent's collection or the
    # process's end; a row never committed is never reconciled.
    return Intent(ctx, entry.id, entry.seq, action, object_type, object_id, traces, alive=alive)


@contextlib.contextmanager
def intended(ctx, action: str, object_type: str, object_id: str | None = None, new: dict | None = None, *,
             permission: Permission | tuple[Permission, ...] | None = None, **traces: Any) -> Iterator[Intent]:
    """Commit the intent, run the block, and record a failure if it raises (the block records the completion;
    one that returns without doing so completes with nothing more to say)."""
    with ctx.transaction(permission, action=action, object_type=object_type, object_id=object_id) as s:
        intent = begin(ctx, s, action, object_type, object_id, new, **traces)
    crashpoints.step(f"{action}/intent")
    with carrying_out(intent):
        yield intent


@contextlib.contextmanager
def carrying_out(intent: Intent) -> Iterator[Intent]:
    """The work between a committed intent and its completion: a failure is recorded (what was produced is
    removed), and a refusal that would say "nothing was changed" says what was, since the intent was."""
    try:
        yield intent
    except (WorkspaceBusy, CaseChanged) as exc:
        if not intent.settled:
            intent.fail(str(exc))
        why = "工作区正忙（另一个窗口或命令正在写入）" if isinstance(exc, WorkspaceBusy) else "案件在此期间已被他人修改"
        raise type(exc)(f"“{LABELS.get(intent.action, intent.action)}”未能完成：{why}。它的开始已记入审计日志，"
                        "已写出的文件已删除，审计日志会记下它未完成。请稍后重试。") from exc
    except OSError as exc:  # the destination: not writable, gone (a USB stick pulled out), full
        if not intent.settled:
            intent.fail(str(exc) or type(exc).__name__)
        where = f"{exc.filename}：" if exc.filename else ""
        raise ValidationError(f"“{LABELS.get(intent.action, intent.action)}”未能完成：文件操作失败（{where}"
                              f"{exc.strerror or exc}）。它的开始已记入审计日志，已写出的文件已删除。"
                              "请检查目标文件夹是否存在、可以写入，磁盘空间是否足够，然后重试。") from exc
    except BaseException as exc:
        if not intent.settled:
            intent.fail(str(exc) or type(exc).__name__)
        raise
    if not intent.settled:
        intent.complete()


def _settle(ctx, s: Session, intent_id: str, seq: int, action: str, object_type: str, object_id: str | None,
            new: dict, success: bool) -> None:
    ctx.audit(s, action, object_type, object_id, None, new, success=success)
    row = s.get(PendingOperation, intent_id)
    if row is not None:
        s.delete(row)


def reconcile(ctx) -> list[str]:
    """Settle the operations an interrupted process left pending; returns a sentence for each (to show)."""
    with ctx.workspace.session() as s:
        rows = list(s.scalars(select(PendingOperation).order_by(PendingOperation.seq)))
    notes = []
    for row in rows:
        traces = row.traces or {}
        owner = None
        if traces.get("alive"):
            try:
                owner = Held.take(ctx.workspace.data_dir / Path(traces["alive"]).name)
            except FileNotFoundError:  # no such folder any more: nobody can hold it
                owner = None
            else:
                if owner is None:
                    continue  # its process is still working on it (another window, the command line)
        try:
            note = _reconcile_one(ctx, row, traces)
        finally:
            if owner is not None:
                owner.release()
        if note:
            notes.append(note)
    # A process killed after taking its lock and before committing its intent leaves the lock file alone.
    Held.sweep(ctx.workspace.data_dir, ".operation-*.lock")
    return notes


def _reconcile_one(ctx, row: PendingOperation, traces: dict) -> str:
    for path in traces.get("scratch", []):
        remove_path(Path(path))
    outcome: dict[str, Any] = {"stage": FAILED, "intent": row.seq, "recovered": True, "reason": "进程在完成前中断"}
    product = Path(traces["product"]) if traces.get("product") else None
    if product is not None and traces.get("sha256") and sha256_or_none(product) == traces["sha256"]:
        # the very bytes this operation recorded before publishing them (not a file someone else put there)
        outcome = {"stage": COMPLETED, "intent": row.seq, "recovered": True, "file": product.name,
                   "sha256": traces["sha256"], "size": product.stat().st_size}
    elif traces.get("keyring"):
        expected = traces["keyring"]
        if keyring_digest(Keyring.load(ctx.workspace.keyring.path), expected["part"]) == expected["sha256"]:
            outcome = {"stage": COMPLETED, "intent": row.seq, "recovered": True}
    try:
        _description(traces, outcome["stage"])
        unapplied = None
    except ValueError as exc:  # a description no applier accepts must not keep everybody from signing in
        unapplied = str(exc)
        outcome["unapplied"] = unapplied[:200]
    with ctx.transaction() as s:
        if s.get(PendingOperation, row.id) is None:
            return ""  # settled meanwhile by its own process
        if unapplied is None:  # in the same transaction as the outcome: both or neither
            _apply(ctx, s, traces, outcome["stage"], {"intent": row.seq, "recovered": True})
        _settle(ctx, s, row.id, row.seq, row.action, row.object_type, row.object_id, outcome,
                outcome["stage"] == COMPLETED)
    label = LABELS.get(row.action, row.action)
    when = row.started_at.astimezone().strftime("%Y-%m-%d %H:%M")
    return (f"{row.username} 于 {when} 开始的“{label}”在完成前被中断，"
            + ("其结果已经产生，现已补记入审计日志。" if outcome["stage"] == COMPLETED
               else "未产生结果，已清理残留文件并记入审计日志。"))
