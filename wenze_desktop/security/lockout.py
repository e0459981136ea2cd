"""Failed-login counting and account lockout, kept beside the database (a wrong password cannot open it).

Failures are also remembered so that the next successful login writes them into the audit chain.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from wenze_desktop.errors import AccountLocked
from wenze_desktop.storage.atomic import atomic_write_text
from wenze_desktop.storage.keyring import LoginPolicy


@dataclass
class LoginState:
    path: Path

    def _load(self) -> dict:
        try:
            return json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except ValueError:
            return {}  # a damaged state file must not lock everybody out

    def _save(self, data: dict) -> None:
        atomic_write_text(self.path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))

    def check_not_locked(self, username: str, now: datetime) -> None:
        record = self._load().get(username, {})
        until = record.get("locked_until")
        if until and datetime.fromisoformat(until) > now:
            minutes = max(1, int((datetime.fromisoformat(until) - now).total_seconds() // 60) + 1)
            raise AccountLocked(f"账户「{username}」因连续输错密码已被锁定，请约 {minutes} 分钟后再试，"
                                "或请系统管理员解锁。")

    def record_failure(self, username: str, now: datetime, policy: LoginPolicy) -> int:
        """Count one failure; returns how many attempts remain before the account locks."""
        data = self._load()
        record = data.setdefault(username, {"failures": 0, "pending": []})
        record["failures"] = record.get("failures", 0) + 1
        record.setdefault("pending", []).append(now.isoformat())
        remaining = policy.max_failures - record["failures"]
        if remaining <= 0:
            record["locked_until"] = (now + timedelta(minutes=policy.lockout_minutes)).isoformat()
            record["failures"] = 0
        self._save(data)
        return max(remaining, 0)

    def pending_failures(self, username: str) -> list[str]:
        """Failed attempts (ISO times) not yet written to the audit log."""
        return list(self._load().get(username, {}).get("pending", []))

    def clear(self, username: str) -> bool:
        """After a success (once its audit entries are committed) or an administrator's unlock."""
        data = self._load()
        record = data.pop(username, None)
        if record is not None:
            self._save(data)
        return record is not None
