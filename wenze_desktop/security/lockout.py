"""Failed-login counting and account lockout, kept beside the database (a wrong password cannot open it).

Failures are also remembered so that the next successful login writes them into the audit chain. The file is
read, changed and written under a lock, so attempts made at the same moment by several programs all count.

No account enumeration at the sign-in screen: a name with no account is counted and locked exactly like an
existing one (same words, same key-derivation work: services/auth.login), but nothing is kept for the audit log,
and at most ``MAX_UNKNOWN_NAMES`` such names are remembered, so typing arbitrary names cannot grow the file
without bound. When there are more, the records forgotten first are those whose forgetting changes no answer
(lock over, no failure since), then the oldest by their last failure — locked or not. A name just tried is
thus the newest and never forgotten: flooding the file with made-up names does not keep an unknown name from
locking after ``max_failures`` tries, as an account does. An account's record is never forgotten (its
failures await the audit log, and forgetting its lock would let its password be guessed on).

What is left: someone who types more than ``MAX_UNKNOWN_NAMES`` other names between two tries of one name (each
try costing a key derivation, about half a second: hours of trying) can see the unknown name's count start
again or its lock end early, while an account's does not. And this protects the sign-in screen only:
``wenze.keys`` lists the user names in plain JSON to anyone who can read that file (as this file lists the
names tried), so the folder's permissions are what keep the names from someone at the computer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from wenze_desktop.errors import AccountLocked
from wenze_desktop.storage.filelock import exclusive as _exclusive
from wenze_desktop.storage.keyring import LoginPolicy, write_retrying

MAX_UNKNOWN_NAMES = 5000  # names with no account remembered (about 120 bytes each in the file)
MAX_PENDING = 1000  # failures of one account awaiting the audit log (a lockout caps them long before)


@dataclass
class LoginState:
    path: Path

    @property
    def _lock_path(self) -> Path:
        return self.path.with_name(f".{self.path.stem}.lock")

    def _load(self) -> dict:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except ValueError:
            return {}  # a damaged state file must not lock everybody out
        return data if isinstance(data, dict) else {}

    def _save(self, data: dict) -> None:
        write_retrying(self.path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))

    def check_not_locked(self, username: str, now: datetime) -> None:
        """The same words whether or not ``username`` is an account."""
        record = self._load().get(username, {})
        until = record.get("locked_until")
        if until and datetime.fromisoformat(until) > now:
            minutes = max(1, int((datetime.fromisoformat(until) - now).total_seconds() // 60) + 1)
            raise AccountLocked(f"账户「{username}」因连续输错密码已被锁定，请约 {minutes} 分钟后再试，"
                                "或请系统管理员解锁。")

    def record_failure(self, username: str, now: datetime, policy: LoginPolicy, *, known: bool = True) -> int:
        """Count one failure; returns how many attempts remain before the name locks. ``known``: the name is an
        account (its failures are kept for the audit log written at its next sign-in)."""
        with _exclusive(self._lock_path):
            data = self._load()
            record = data.setdefault(username, {"failures": 0})
            record["failures"] = record.get("failures", 0) + 1
            record["last"] = now.isoformat()
            if known:
                record["pending"] = [*record.get("pending", []), now.isoformat()][-MAX_PENDING:]
            remaining = policy.max_failures - record["failures"]
            if remaining <= 0:
                record["locked_until"] = (now + timedelta(minutes=policy.lockout_minutes)).isoformat()
                record["failures"] = 0
            _forget_surplus_names(data, now)  # for every name: the same work whether or not it is an account
            self._save(data)
        return max(remaining, 0)

    def pending_failures(self, username: str) -> list[str]:
        """Failed attempts (ISO times) not yet written to the audit log."""
        return list(self._load().get(username, {}).get("pending", []))

    def has(self, username: str) -> bool:
        """Whether failures (or a lock) are on record for ``username``."""
        return username in self._load()

    def clear(self, username: str) -> bool:
        """After a success (once its audit entries are committed) or an administrator's unlock."""
        if not self.path.exists():
            return False  # the usual case at sign-in: nothing to clear, no lock to take
        with _exclusive(self._lock_path):
            data = self._load()
            record = data.pop(username, None)
            if record is not None:
                self._save(data)
        return record is not None


def _forget_surplus_names(data: dict, now: datetime) -> None:
    """Keep at most MAX_UNKNOWN_NAMES records with nothing for the audit log (see the module's docstring):
    first forget those whose forgetting changes no answer, then the oldest by their last failure, whether
    locked or not (so the name just tried stays, and counts on as an account's would)."""
    spare = [name for name, record in data.items() if isinstance(record, dict) and not record.get("pending")]
    surplus = len(spare) - MAX_UNKNOWN_NAMES
    if surplus <= 0:
        return

    def spent(record: dict) -> bool:  # no failure counting and no lock in force: as if never tried
        if record.get("failures"):
            return False
        try:
            return not record.get("locked_until") or datetime.fromisoformat(record["locked_until"]) <= now
        except (TypeError, ValueError):
            return True  # an unreadable time locks nothing worth keeping

    spare.sort(key=lambda name: (not spent(data[name]), str(data[name].get("last", ""))))
    for name in spare[:surplus]:
        del data[name]
