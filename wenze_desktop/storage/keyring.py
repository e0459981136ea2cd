"""Key slots (like LUKS): one random database key, wrapped once per user password and once by a recovery key.

The slot file sits beside the encrypted database because it must be read before the database can be opened.
It holds no secret in the clear: every slot is AES-256-GCM over the database key, bound (as associated data)
to the keyring id, the slot name and its KDF parameters, so a slot moved or edited no longer opens.
"""

from __future__ import annotations

import base64
import contextlib
import hmac
import json
import os
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from wenze_desktop.errors import IntegrityFailure, WrongPassword
from wenze_desktop.security.kdf import DEFAULT_MEMORY_KIB, Argon2Params, derive_key
from wenze_desktop.storage.atomic import atomic_write_text

FORMAT = 1
RECOVERY_SLOT = "__recovery__"
T = TypeVar("T")
WRONG_PASSWORD_MSG = "用户名或密码错误，请重新输入。"


@dataclass
class LoginPolicy:
    """Read before any login, so it lives in the slot file rather than in the encrypted database."""

    max_failures: int = 5
    lockout_minutes: int = 15
    idle_minutes: int = 10
    min_password_length: int = 8

    @classmethod
    def from_json(cls, data: dict) -> LoginPolicy:
        known = {k: int(v) for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class Keyring:
    path: Path
    keyring_id: str
    slots: dict[str, dict] = field(default_factory=dict)
    policy: LoginPolicy = field(default_factory=LoginPolicy)
    policy_mac: str = ""  # HMAC under a key derived from the database key: edits by hand are detected

    # -- creation and persistence -------------------------------------------------------------
    @classmethod
    def create(cls, path: Path, username: str, user_id: str, password: str,
               params: Argon2Params) -> tuple[Keyring, bytes, str]:
        """A new keyring with a fresh database key; returns (keyring, db_key, recovery_key)."""
        ring = cls(Path(path), str(uuid.uuid4()))
        db_key = secrets.token_bytes(32)
        ring.set_password(username, user_id, db_key, password, params)
        recovery_key = ring.reset_recovery_key(db_key)
        ring.seal_policy(db_key)
        return ring, db_key, recovery_key

    @classmethod
    def load(cls, path: Path) -> Keyring:
        try:
            data = json.loads(Path(path).read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise IntegrityFailure(f"密钥槽文件 {path} 无法读取或已损坏：{exc}") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise IntegrityFailure(f"密钥槽文件 {path} 的格式不受本程序支持或已损坏。")
        try:
            return cls(Path(path), str(data["keyring_id"]), dict(data["slots"]),
                       LoginPolicy.from_json(data.get("policy", {})), str(data.get("policy_mac", "")))
        except (KeyError, TypeError, ValueError) as exc:
            raise IntegrityFailure(f"密钥槽文件 {path} 已损坏：{exc}") from exc

    def to_json(self) -> str:
        body = {"format": FORMAT, "keyring_id": self.keyring_id, "cipher": "aes-256-gcm",
                "policy": self.policy.__dict__, "policy_mac": self.policy_mac, "slots": self.slots}
        return json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True)

    def save(self, path: Path | None = None) -> None:
        write_retrying(path or self.path, self.to_json())

    def update(self, mutate: Callable[[Keyring], T]) -> T:
        """Change the file, not a stale copy: reload it, apply ``mutate``, save, and only then adopt the result.

        Another process (the CLI beside the GUI) may have changed other slots since this one was loaded.
        If saving fails, neither the file nor this object has changed.
        """
        fresh = Keyring.load(self.path)
        result = mutate(fresh)
        fresh.save()
        self.slots, self.policy, self.policy_mac = fresh.slots, fresh.policy, fresh.policy_mac
        return result

    # -- the login policy ----------------------------------------------------------------------
    def _policy_digest(self, db_key: bytes) -> str:
        mac_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=self.keyring_id.encode(),
                       info=b"wenze login policy").derive(db_key)
        body = json.dumps(self.policy.__dict__, sort_keys=True).encode()
        return hmac.new(mac_key, body, "sha256").hexdigest()

    def seal_policy(self, db_key: bytes) -> None:
        self.policy_mac = self._policy_digest(db_key)

    def policy_intact(self, db_key: bytes) -> bool:
        return hmac.compare_digest(self.policy_mac, self._policy_digest(db_key))

    # -- slots ---------------------------------------------------------------------------------
    def has_user(self, username: str) -> bool:
        return username in self.slots and username != RECOVERY_SLOT

    def user_id(self, username: str) -> str | None:
        slot = self.slots.get(username)
        return slot.get("user_id") if slot else None

    def unlock(self, username: str, password: str) -> bytes:
        slot = self.slots.get(username)
        if slot is None or username == RECOVERY_SLOT:
            # An unknown name costs as much as a known one: the time taken must not tell whether it exists.
            derive_key(password, self.decoy_params())
            raise WrongPassword(WRONG_PASSWORD_MSG)
        try:
            params = Argon2Params.from_json(slot["kdf"])
        except (KeyError, TypeError, ValueError) as exc:
            raise IntegrityFailure(f"用户「{username}」的密钥槽已损坏，请用恢复密钥重设密码。") from exc
        return self._unwrap(username, slot, derive_key(password, params), WRONG_PASSWORD_MSG)

    def unlock_with_recovery(self, recovery_key: str) -> bytes:
        slot = self.slots.get(RECOVERY_SLOT)
        if not slot or "salt" not in slot.get("kdf", {}):
            raise IntegrityFailure("密钥槽文件中没有可用的恢复密钥槽，请从备份恢复。")
        wrapping = _recovery_wrapping_key(recovery_key, bytes.fromhex(slot["kdf"]["salt"]))
        return self._unwrap(RECOVERY_SLOT, slot, wrapping, "恢复密钥不正确，请核对后重新输入。")

    def decoy_params(self) -> Argon2Params:
        """The cost of the most common user slot (what a wrong password for an existing name costs)."""
        costs: dict[tuple, int] = {}
        for name in sorted(self.slots):
            with contextlib.suppress(KeyError, TypeError, ValueError, AttributeError):
                if name != RECOVERY_SLOT:
                    p = Argon2Params.from_json(self.slots[name]["kdf"])
                    key = (p.time_cost, p.memory_kib, p.parallelism)
                    costs[key] = costs.get(key, 0) + 1
        if not costs:  # no user slot at all: what calibration would choose on a typical machine
            return Argon2Params(3, DEFAULT_MEMORY_KIB, 2, bytes(16))
        time_cost, memory_kib, parallelism = max(costs, key=costs.__getitem__)
        return Argon2Params(time_cost, memory_kib, parallelism, bytes(16))

    def set_password(self, username: str, user_id: str, db_key: bytes, password: str,
                     params: Argon2Params) -> None:
        """Wrap the database key under a new password: the database itself is not touched."""
        self.slots[username] = self.make_slot(username, user_id, db_key, password, params)

    def make_slot(self, username: str, user_id: str, db_key: bytes, password: str, params: Argon2Params) -> dict:
        """A slot for ``username`` in this keyring, not yet stored (a change is audited before it is saved)."""
        if username == RECOVERY_SLOT:
            raise ValueError("reserved slot name")
        params = params.with_new_salt()
        kdf = params.to_json()
        return {"user_id": user_id, "kdf": kdf, **self._wrap(username, kdf, derive_key(password, params), db_key)}

    def adopt(self, draft: Keyring, part: str) -> None:
        """Take one part (``slot:<username>`` or ``policy``) from ``draft``; a slot absent there is removed."""
        if part == "policy":
            self.policy, self.policy_mac = LoginPolicy(**draft.policy.__dict__), draft.policy_mac
            return
        name = part.removeprefix("slot:")
        if name in draft.slots:
            self.slots[name] = draft.slots[name]
        else:
            self.slots.pop(name, None)

    def reset_recovery_key(self, db_key: bytes) -> str:
        recovery_key = _new_recovery_key()
        salt = os.urandom(16)
        kdf = {"algorithm": "hkdf-sha256", "salt": salt.hex()}
        wrapping = _recovery_wrapping_key(recovery_key, salt)
        self.slots[RECOVERY_SLOT] = {"user_id": None, "kdf": kdf,
                                     **self._wrap(RECOVERY_SLOT, kdf, wrapping, db_key)}
        return recovery_key

    def remove_slot(self, username: str) -> None:
        self.slots.pop(username, None)

    # -- helpers -------------------------------------------------------------------------------
    def _aad(self, name: str, kdf: dict) -> bytes:
        return json.dumps(["wenze-keyslot", self.keyring_id, name, kdf], sort_keys=True).encode()

    def _wrap(self, name: str, kdf: dict, wrapping_key: bytes, db_key: bytes) -> dict:
        nonce = os.urandom(12)
        wrapped = AESGCM(wrapping_key).encrypt(nonce, db_key, self._aad(name, kdf))
        return {"nonce": nonce.hex(), "wrapped": wrapped.hex()}

    def _unwrap(self, name: str, slot: dict, wrapping_key: bytes, message: str) -> bytes:
        try:
            return AESGCM(wrapping_key).decrypt(bytes.fromhex(slot["nonce"]), bytes.fromhex(slot["wrapped"]),
                                                self._aad(name, slot["kdf"]))
        except (InvalidTag, ValueError, KeyError) as exc:
            raise WrongPassword(message) from exc


def write_retrying(path: Path, text: str, attempts: int = 3) -> None:
    """``atomic_write_text``, again if the scratch copy vanished before its rename: another program starting on
    this folder sweeps such copies (storage/recovery.py), and cannot tell one being written from a leftover."""
    for attempt in range(attempts):
        try:
            atomic_write_text(path, text)
            return
        except FileNotFoundError:
            if attempt == attempts - 1 or not Path(path).parent.is_dir():
                raise


def _new_recovery_key() -> str:
    """160 random bits as 8 groups of 4 base32 characters (no 0/1/8/9 ambiguity: RFC 4648 alphabet)."""
    text = base64.b32encode(secrets.token_bytes(20)).decode("ascii")
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def normalise_recovery_key(recovery_key: str) -> str:
    text = "".join(ch for ch in recovery_key.upper() if ch.isalnum())
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def _recovery_wrapping_key(recovery_key: str, salt: bytes) -> bytes:
    # The recovery key is already 160 random bits: a fast KDF is enough, no password stretching needed.
    material = normalise_recovery_key(recovery_key).encode("ascii")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"wenze recovery slot").derive(material)
