"""Writing and reading a case package: manifest first, signed; then each case's record, audit trail and files.

    manifest.json                      format, sender, recipient, cases (hash, history, record versions), entries
    manifest.sig                       Ed25519 signature over the exact bytes of manifest.json
    cases/<case id>/case.json          the case and its parts (snapshot.encode)
    cases/<case id>/audit.json         the audit entries about the case, each with the office it comes from
    cases/<case id>/files/<sha256>     attachments and issued documents, named by their hash

Entries must appear exactly in the manifest's order, each with its listed size and SHA-256; anything else —
an extra, missing, reordered or altered entry, a bad signature, a truncated stream — refuses the package.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import pyrage

from wenze_desktop import crashpoints
from wenze_desktop.errors import Cancelled, IntegrityFailure, ValidationError
from wenze_desktop.security.audit import exported_entry_hash
from wenze_desktop.storage.atomic import fsync_dir
from wenze_desktop.transfer import archive
from wenze_desktop.transfer.keys import OfficeKeyPair, PublicOfficeKey, fingerprint_of

FORMAT = "wenze-case-package"
FORMAT_VERSION = 1
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
MAX_JSON = 64 << 20  # a manifest or case record larger than this is not ours
Progress = Callable[[int, int, str], bool | None]


@dataclass
class OutgoingCase:
    id: str
    number: str
    title: str
    regulation_id: str
    content_hash: str
    history: list[str]
    records: dict[str, int]  # record id → local record version
    record: bytes  # case.json
    audit: bytes  # audit.json
    files: dict[str, int]  # sha256 → size


@dataclass
class Written:
    path: Path
    package_id: str
    sha256: str
    size: int


def _check_progress(progress: Progress | None, done: int, total: int, message: str) -> None:
    if progress is not None and progress(done, total, message) is False:
        raise Cancelled("已取消，未生成数据包。")


def write_package(out: Path, *, sender: OfficeKeyPair, sender_info: dict[str, str], cases: list[OutgoingCase],
                  load_file: Callable[[str, str], bytes], created_at: datetime, exported_by: str,
                  recipient: PublicOfficeKey | None = None, passphrase: str | None = None,
                  progress: Progress | None = None, package_id: str | None = None,
                  scratch: Path | None = None) -> Written:
    """Write the package under a temporary name and fsync it; on any failure (a full disk, a pulled stick,
    cancel) the temporary file is removed and nothing that looks like a package is left.

    ``scratch``: the caller's temporary file (an audited export's intent names it); the finished package is left
    there for the caller to publish. Without it the package is written to ``<out>.part`` and renamed into place."""
    if (recipient is None) == (passphrase is None):
        raise ValidationError("请选择接收单位或设置口令（二者选其一）。")
    out = Path(out)
    entries: list[dict[str, Any]] = []
    for case in cases:
        base = f"cases/{case.id}"
        entries.append({"name": f"{base}/case.json", "sha256": _sha(case.record), "size": len(case.record)})
        entries.append({"name": f"{base}/audit.json", "sha256": _sha(case.audit), "size": len(case.audit)})
        entries += [{"name": f"{base}/files/{sha}", "sha256": sha, "size": size} for sha, size in case.files.items()]
    package_id = package_id or str(uuid.uuid4())
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "package_id": package_id,
        "created_at": created_at.isoformat(), "exported_by": exported_by,
        "sender": {**sender_info, "signing_key": sender.public.signing_key, "recipient": sender.public.recipient,
                   "fingerprint": sender.public.fingerprint},
        "recipient": ({"kind": "office", "office_name": recipient.office_name, "fingerprint": recipient.fingerprint}
                      if recipient is not None else {"kind": "passphrase"}),
        "cases": [{"id": c.id, "number": c.number, "title": c.title, "regulation_id": c.regulation_id,
                   "content_hash": c.content_hash, "history": c.history, "records": c.records} for c in cases],
        "entries": entries,
    }
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
    signature = json.dumps({"algorithm": "Ed25519", "fingerprint": sender.public.fingerprint,
                            "signature": base64.b64encode(sender.sign(manifest_bytes)).decode()}).encode()
    total = sum(e["size"] for e in entries) or 1
    part = Path(scratch) if scratch is not None else out.with_name(out.name + ".part")
    done, sink = 0, None
    try:
        with open(part, "wb") as raw:
            sink = archive.HashingWriter(raw)
            with archive.tar_into(sink, recipient=recipient.recipient if recipient else None,
                                  passphrase=passphrase) as tar:
                archive.add_entry(tar, MANIFEST, manifest_bytes)
                archive.add_entry(tar, SIGNATURE, signature)
                for case in cases:
                    _check_progress(progress, done, total, f"正在写入案件 {case.number}")
                    base = f"cases/{case.id}"
                    archive.add_entry(tar, f"{base}/case.json", case.record)
                    archive.add_entry(tar, f"{base}/audit.json", case.audit)
                    done += len(case.record) + len(case.audit)
                    if case is cases[0]:
                        crashpoints.step("transfer.export/writing")  # a half-written scratch file on disk
                    for sha, size in case.files.items():
                        data = load_file(case.id, sha)
                        if len(data) != size or _sha(data) != sha:
                            raise IntegrityFailure(f"案件 {case.number} 的附件或文书（{sha[:12]}…）在数据库中已损坏，"
                                                   "未生成数据包。请运行“校验工作区”。")
                        archive.add_entry(tar, f"{base}/files/{sha}", data)
                        done += size
                        _check_progress(progress, done, total, f"正在写入案件 {case.number}")
            raw.flush()
            os.fsync(raw.fileno())
        _check_progress(progress, total, total, "完成")
        if scratch is None:
            os.replace(part, out)
            fsync_dir(out.parent)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            part.unlink()
        cause = sink.error if sink is not None and sink.error is not None else exc
        if isinstance(cause, OSError):
            raise _write_error(out, cause) from exc
        raise
    return Written(out, package_id, sink.sha.hexdigest(), sink.size)


def _write_error(out: Path, exc: OSError) -> ValidationError:
    import errno

    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return ValidationError(f"目标磁盘空间不足，未能写出数据包 {out.name}（已删除未写完的文件）。"
                               "请换用空间更大的U盘或删除其中不需要的文件后重试。")
    return ValidationError(f"写出数据包 {out} 失败：{exc.strerror or exc}（已删除未写完的文件）。"
                           "如为U盘，请检查是否已拔出或写保护。")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- reading ---------------------------------------------------------------------------------------------------

@dataclass
class IncomingCase:
    id: str
    number: str
    title: str
    regulation_id: str
    content_hash: str
    history: list[str]
    records: dict[str, int]
    record: dict = field(default_factory=dict)
    record_bytes: bytes = b""
    audit: list[dict] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


@dataclass
class Package:
    path: Path
    sha256: str
    size: int
    package_id: str
    format_version: int
    created_at: str
    exported_by: str
    sender: PublicOfficeKey
    sender_info: dict[str, str]
    recipient: dict[str, str]
    cases: list[IncomingCase]


class CaseSink(Protocol):
    """Receives one case during the applying pass: its file contents as they arrive, then the end of it."""

    def file(self, sha256: str, data: bytes) -> None: ...

    def finish(self) -> None: ...


Trust = Callable[[PublicOfficeKey], None]  # raises when the sender is not trusted


def read_package(path: Path, *, own: OfficeKeyPair | None, passphrase: str | None, trust: Trust,
                 on_manifest: Callable[[list[IncomingCase]], None] | None = None,
                 on_case: Callable[[IncomingCase], CaseSink | None] | None = None,
                 progress: Progress | None = None, message: str = "正在校验数据包") -> Package:
    """Decrypt, check the signature and every entry; the applying pass gets the signed case list
    (``on_manifest``), then each verified case (``on_case``)."""
    path = Path(path)
    kind = archive.sniff(path)
    if kind == "scrypt" and passphrase is None:
        raise ValidationError("此数据包以口令加密，请输入发送方告知的口令。")
    if kind == "scrypt" and (reason := archive.passphrase_too_large(archive.plain_size_of(path.stat().st_size))):
        raise ValidationError(reason)
    if kind == "x25519" and own is None:
        raise ValidationError("本工作区尚无单位密钥，无法打开发给单位的数据包。")
    total = path.stat().st_size or 1
    reader = _Reader(progress, total, on_manifest, on_case, trust, message)
    try:
        with open(path, "rb") as raw:
            source = archive.HashingReader(raw, on_bytes=reader.tick)
            with archive.open_tar(source, identity=own.identity() if kind == "x25519" else None,
                                  passphrase=passphrase if kind == "scrypt" else None) as entries:
                for entry in entries:
                    reader.take(entry)
            sha, size = source.sha.hexdigest(), source.size
    except archive.DecryptFailed as exc:
        if kind == "scrypt":
            raise IntegrityFailure("口令错误，或数据包已损坏、被截断。") from exc
        if reader.manifest is None:
            raise IntegrityFailure("无法解密：此数据包不是发给本单位的（或本单位密钥已更换），"
                                   "或文件已损坏。") from exc
        raise IntegrityFailure("数据包已损坏或被截断（加密数据校验失败）。未导入任何内容。") from exc
    except pyrage.DecryptError as exc:
        raise IntegrityFailure(f"无法解密数据包：{exc}") from exc
    except OSError as exc:
        raise ValidationError(f"读取数据包 {path} 失败：{exc.strerror or exc}。如为U盘，请检查是否已拔出。") from exc
    reader.close()
    m = reader.manifest
    return Package(path, sha, size, m["package_id"], m["format_version"], m["created_at"], m["exported_by"],
                   reader.sender, {k: str(v) for k, v in m["sender"].items()}, m["recipient"], reader.cases)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _check_manifest(m: dict) -> None:
    """The manifest's shape (raises ValueError/TypeError/KeyError on anything else)."""
    for key in ("package_id", "created_at", "exported_by"):
        _text(m[key])
    datetime.fromisoformat(m["created_at"])
    if not isinstance(m["sender"], dict) or not isinstance(m["recipient"], dict):
        raise TypeError("sender and recipient are objects")
    if m["recipient"].get("kind") not in ("office", "passphrase"):
        raise ValueError("unknown recipient kind")
    if not isinstance(m["cases"], list) or not isinstance(m["entries"], list):
        raise TypeError("cases and entries are lists")
    for c in m["cases"]:
        if not isinstance(c["history"], list) or not isinstance(c["records"], dict):
            raise TypeError("a case's history is a list, its records an object")
    for e in m["entries"]:
        _text(e["name"])
        _text(e["sha256"])
        if not isinstance(e["size"], int) or isinstance(e["size"], bool) or e["size"] < 0:
            raise ValueError("an entry's size is a count of bytes")


class _Reader:
    """The checks, entry by entry, in the order the manifest promises."""

    def __init__(self, progress: Progress | None, total: int, on_manifest, on_case, trust: Trust,
                 message: str) -> None:
        self.progress, self.total, self.trust, self.message = progress, total, trust, message
        self.on_manifest, self.on_case = on_manifest, on_case
        self.manifest: dict | None = None
        self.signature: bytes | None = None
        self.sender: PublicOfficeKey | None = None
        self.cases: list[IncomingCase] = []
        self.by_id: dict[str, IncomingCase] = {}
        self.expected: list[dict] = []
        self.position = 0
        self.sink: CaseSink | None = None
        self.current: IncomingCase | None = None

    def tick(self, done: int) -> None:
        if self.progress is not None and self.progress(min(done, self.total), self.total, self.message) is False:
            raise Cancelled("已取消，未导入任何内容。")

    def take(self, entry: archive.Entry) -> None:
        if self.manifest is None:
            self._manifest(entry)
        elif self.sender is None:
            self._signature(entry)
        else:
            self._entry(entry)

    def _manifest(self, entry: archive.Entry) -> None:
        if entry.name != MANIFEST or entry.size > MAX_JSON:
            raise IntegrityFailure("数据包的第一项不是清单（manifest.json），文件已被改动或不是本系统的数据包。")
        self.manifest_bytes = entry.stream.read()
        try:
            manifest = json.loads(self.manifest_bytes)
        except ValueError as exc:
            raise IntegrityFailure("数据包清单无法解析，文件已损坏。") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise IntegrityFailure("文件不是问责系统的案件数据包。")
        version = manifest.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise ValidationError(f"此数据包的格式版本（{version}）比本程序支持的（{FORMAT_VERSION}）新，"
                                  "请升级本程序后再导入。未导入任何内容。")
        self.manifest = manifest

    def _signature(self, entry: archive.Entry) -> None:
        if entry.name != SIGNATURE or entry.size > 4096:
            raise IntegrityFailure("数据包缺少清单签名（manifest.sig），来源无法证明，拒绝导入。")
        m = self.manifest
        try:
            sig = json.loads(entry.stream.read())
            s = m["sender"]
            sender = PublicOfficeKey(str(s["workspace_id"]), str(s["office_name"]), str(s["signing_key"]),
                                     str(s["recipient"]))
            signature = base64.b64decode(sig["signature"], validate=True)
            fingerprint_of(sender.signing_key)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise IntegrityFailure("数据包清单或签名不完整，文件已被改动。") from exc
        if sig.get("algorithm") != "Ed25519" or not sender.verify(self.manifest_bytes, signature):
            raise IntegrityFailure("数据包清单的签名不符：内容在签名后被改动过，或签名不是发送单位的。拒绝导入。")
        self.trust(sender)  # only now is the sender's name worth anything
        self.sender = sender
        # Signed by a trusted office is not the same as well formed: every field the import and its summary read
        # is checked here, before anything is written, so that nothing can fail on it after the commit.
        try:
            _check_manifest(m)
            cases = [IncomingCase(_text(c["id"]), _text(c["number"]), _text(c["title"]), _text(c["regulation_id"]),
                                  _text(c["content_hash"]), [_text(h) for h in c["history"]],
                                  {_text(k): int(v) for k, v in c["records"].items()}) for c in m["cases"]]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise IntegrityFailure("数据包清单的内容不完整或格式不正确（发送单位的程序有误，或清单被伪造），"
                                   "拒绝导入。未导入任何内容。") from exc
        for case in cases:
            if case.id in self.by_id:
                raise IntegrityFailure(f"数据包清单中案件 {case.number} 出现了两次。")
            self.cases.append(case)
            self.by_id[case.id] = case
        self.expected = list(m["entries"])
        if self.on_manifest is not None:
            self.on_manifest(self.cases)

    def _entry(self, entry: archive.Entry) -> None:
        if self.position >= len(self.expected):
            raise IntegrityFailure(f"数据包中有清单未列出的条目：{entry.name}")
        want = self.expected[self.position]
        self.position += 1
        if entry.name != want["name"] or entry.size != want["size"]:
            raise IntegrityFailure(f"数据包条目与清单不符（应为 {want['name']}，实为 {entry.name}）：条目被调换、"
                                   "删除或插入。拒绝导入。")
        parts = entry.name.split("/")
        if len(parts) < 3 or parts[0] != "cases" or parts[1] not in self.by_id:
            raise IntegrityFailure(f"数据包条目 {entry.name} 不属于清单中的任何案件。")
        case = self.by_id[parts[1]]
        if parts[2:] == ["case.json"]:
            self._start_case(case, self._read_json(entry, want))
        elif parts[2:] == ["audit.json"]:
            self._audit(case, self._read_json(entry, want))
        elif len(parts) == 4 and parts[2] == "files" and parts[3] == want["sha256"]:
            self._file(case, entry, want)
        else:
            raise IntegrityFailure(f"数据包中有无法识别的条目：{entry.name}")

    def _read_json(self, entry: archive.Entry, want: dict) -> bytes:
        if entry.size > MAX_JSON:
            raise IntegrityFailure(f"数据包条目 {entry.name} 过大。")
        data = entry.stream.read()
        if _sha(data) != want["sha256"]:
            raise IntegrityFailure(f"数据包条目 {entry.name} 的哈希与清单不符：内容被改动。拒绝导入。")
        return data

    def _start_case(self, case: IncomingCase, data: bytes) -> None:
        self._end_case()
        if _sha(data) != case.content_hash:
            raise IntegrityFailure(f"案件 {case.number} 的记录与清单中的哈希不符。")
        try:
            record = json.loads(data)
            same = record["case"]["id"] == case.id
        except (ValueError, KeyError, TypeError) as exc:
            raise IntegrityFailure(f"案件 {case.number} 的记录无法解析。") from exc
        if not same:
            raise IntegrityFailure(f"案件 {case.number} 的记录与清单中的案件不是同一个。")
        case.record, case.record_bytes = record, data
        self.current = case
        self.sink = self.on_case(case) if self.on_case is not None else None

    def _audit(self, case: IncomingCase, data: bytes) -> None:
        if case is not self.current:
            raise IntegrityFailure(f"案件 {case.number} 的审计记录不在其案件记录之后。")
        try:
            entries = json.loads(data)
            for e in entries:
                if exported_entry_hash(e) != e["hash"]:
                    raise IntegrityFailure(f"案件 {case.number} 的审计记录 {e.get('seq')} 与其哈希不符。")
        except (ValueError, KeyError, TypeError) as exc:
            raise IntegrityFailure(f"案件 {case.number} 的审计记录无法解析。") from exc
        case.audit = entries

    def _file(self, case: IncomingCase, entry: archive.Entry, want: dict) -> None:
        if case is not self.current:
            raise IntegrityFailure(f"案件 {case.number} 的文件不在其案件记录之后。")
        sha, chunks = hashlib.sha256(), []
        keep = self.sink is not None
        while block := entry.stream.read(archive.CHUNK):
            sha.update(block)
            if keep:
                chunks.append(block)
        if sha.hexdigest() != want["sha256"]:
            raise IntegrityFailure(f"案件 {case.number} 的附件或文书（{entry.name.rsplit('/', 1)[-1][:12]}…）"
                                   "与清单中的哈希不符：内容被改动。拒绝导入。")
        case.files.append(want["sha256"])
        if keep:
            self.sink.file(want["sha256"], b"".join(chunks))

    def _end_case(self) -> None:
        if self.current is not None and self.sink is not None:
            self.sink.finish()
        self.current, self.sink = None, None

    def close(self) -> None:
        if self.manifest is None or self.sender is None:
            raise IntegrityFailure("数据包不完整：缺少清单或签名。")
        if self.position != len(self.expected):
            raise IntegrityFailure(f"数据包不完整：清单列出 {len(self.expected)} 项，实有 {self.position} 项。")
        if any(not c.record for c in self.cases):
            raise IntegrityFailure("数据包不完整：清单中的案件缺少记录。")
        self._end_case()

