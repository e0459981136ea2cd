"""Office keys: an Ed25519 pair that signs packages and an age X25519 identity that opens packages sent to us.

The public half travels as a small self-signed text file (or the same text in a QR code): the signature proves
whoever made it holds the signing key, and the fingerprint — read aloud over the telephone — proves it is the
office's own. Identity is the signing key; names are only labels.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

import pyrage
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from wenze_desktop.errors import ValidationError

KEY_FILE_FORMAT = "wenze-office-key"
KEY_FILE_VERSION = 1
QR_PREFIX = "WZKEY1"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as exc:
        raise ValidationError(f"公钥文件中的{what}不是有效的编码。") from exc


def fingerprint_of(signing_key_b64: str) -> str:
    """SHA-256 of the raw Ed25519 public key, 32 hex digits in groups of four (short enough to read aloud)."""
    digest = hashlib.sha256(_unb64(signing_key_b64, "签名公钥")).hexdigest()[:32].upper()
    return "-".join(digest[i:i + 4] for i in range(0, 32, 4))


@dataclass(frozen=True)
class PublicOfficeKey:
    office_id: str
    office_name: str
    signing_key: str  # base64 of the raw 32-byte Ed25519 public key
    recipient: str  # age1…

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.signing_key)

    def _signed_text(self) -> bytes:
        return json.dumps([KEY_FILE_FORMAT, KEY_FILE_VERSION, self.office_id, self.office_name, self.signing_key,
                           self.recipient], ensure_ascii=False, separators=(",", ":")).encode()

    def verify(self, message: bytes, signature: bytes) -> bool:
        public = Ed25519PublicKey.from_public_bytes(_unb64(self.signing_key, "签名公钥"))
        try:
            public.verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class OfficeKeyPair:
    public: PublicOfficeKey
    signing_secret: bytes  # raw 32-byte Ed25519 private key
    age_identity: str  # AGE-SECRET-KEY-1…

    @classmethod
    def generate(cls, office_id: str, office_name: str) -> OfficeKeyPair:
        signer = Ed25519PrivateKey.generate()
        identity = pyrage.x25519.Identity.generate()
        public = PublicOfficeKey(office_id, office_name,
                                 _b64(signer.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)),
                                 str(identity.to_public()))
        secret = signer.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return cls(public, secret, str(identity))

    def sign(self, message: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.signing_secret).sign(message)

    def identity(self) -> pyrage.x25519.Identity:
        return pyrage.x25519.Identity.from_str(self.age_identity)

    def key_file(self) -> str:
        """The public key file: JSON, self-signed, with the fingerprint spelled out for the reader."""
        body = {"format": KEY_FILE_FORMAT, "version": KEY_FILE_VERSION, "office_id": self.public.office_id,
                "office_name": self.public.office_name, "signing_key": self.public.signing_key,
                "recipient": self.public.recipient, "fingerprint": self.public.fingerprint,
                "signature": _b64(self.sign(self.public._signed_text()))}
        return json.dumps(body, ensure_ascii=False, indent=2) + "\n"

    def qr_text(self) -> str:
        """The same content on one line, for a QR code (read back by ``parse_key_text``)."""
        p = self.public
        sig = _b64(self.sign(p._signed_text()))
        return "|".join([QR_PREFIX, p.office_id, p.office_name, p.signing_key, p.recipient, sig])


def parse_key_text(text: str) -> PublicOfficeKey:
    """Read a public key file or QR text; refuse anything unsigned, altered or of another format."""
    text = text.strip().lstrip("\ufeff")
    if text.startswith(QR_PREFIX + "|"):
        parts = text.split("|")
        if len(parts) != 6:
            raise ValidationError("二维码文本不是完整的单位公钥。")
        _, office_id, name, signing_key, recipient, sig = parts
    else:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ValidationError("文件不是单位公钥文件（应为本系统“导出公钥”得到的文件）。") from exc
        if not isinstance(data, dict) or data.get("format") != KEY_FILE_FORMAT:
            raise ValidationError("文件不是单位公钥文件（应为本系统“导出公钥”得到的文件）。")
        if data.get("version") != KEY_FILE_VERSION:
            raise ValidationError("此公钥文件由更新版本的程序导出，请升级本程序后再导入。")
        try:
            office_id, name, signing_key, recipient, sig = (str(data[k]) for k in (
                "office_id", "office_name", "signing_key", "recipient", "signature"))
        except KeyError as exc:
            raise ValidationError(f"公钥文件缺少字段 {exc}。") from exc
    key = PublicOfficeKey(office_id, name, signing_key, recipient)
    try:
        pyrage.x25519.Recipient.from_str(recipient)
        Ed25519PublicKey.from_public_bytes(_unb64(signing_key, "签名公钥"))
    except (pyrage.RecipientError, ValueError) as exc:
        raise ValidationError("公钥文件中的密钥无效。") from exc
    if not key.verify(key._signed_text(), _unb64(sig, "签名")):
        raise ValidationError("公钥文件的签名不符：文件被改动过，或不是对方单位导出的原件。")
    return key
