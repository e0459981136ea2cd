"""Packages that must be refused, each leaving the receiving workspace exactly as it was: random damage to the
encrypted file, an attacker re-encrypting altered contents to our public key, a wrong key, a newer format. And
Debian's `age` reads what we write (an independent check of the format)."""

from __future__ import annotations

import io
import os
import pty
import random
import subprocess
import tarfile

import pyrage
import pytest
from sqlalchemy import select

from tests.unit.transfer_helpers import befriend, dump, office, rich_case
from wenze_desktop.domain.exchange import OfficeKey
from wenze_desktop.errors import IntegrityFailure, ValidationError, WenzeError
from wenze_desktop.transfer import package as package_module


def identity_of(ws) -> str:
    with ws.ctx.workspace.session() as s:
        return s.scalars(select(OfficeKey.age_identity).where(OfficeKey.own.is_(True))).one()


@pytest.fixture(scope="module")
def sent(tmp_path_factory):
    """甲 sends two cases (one attachment spanning several age chunks) to 乙, who has not imported anything yet."""
    from tests.conftest import FakeClock

    root = tmp_path_factory.mktemp("tamper")
    a, b = office(root, "甲县纪委", FakeClock()), office(root, "乙市纪委", FakeClock())
    befriend(a, b)
    cases = [rich_case(a, "张三", attachment=os.urandom(300_000)), rich_case(a, "李四")]
    path = a.transfer.export(cases, root / "good.wzpkg", to="乙市纪委").path
    yield a, b, path, root
    a.close()
    b.close()


def corrupt(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    kind = rng.choice(["flip", "flip", "truncate", "swap", "append", "cut"])
    buf = bytearray(data)
    if kind == "flip":
        for _ in range(rng.randint(1, 3)):
            buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
    elif kind == "truncate":
        del buf[rng.randrange(len(buf)):]
    elif kind == "swap":
        size = rng.choice([16, 512, 65_552])
        i, j = sorted(rng.sample(range(0, len(buf) - size), 2))
        if j - i < size:
            j = min(len(buf) - size, i + size)
        buf[i:i + size], buf[j:j + size] = buf[j:j + size], buf[i:i + size]
    elif kind == "append":
        buf += os.urandom(rng.randint(1, 100))
    else:
        start = rng.randrange(len(buf))
        del buf[start:start + rng.randint(1, 5000)]
    if bytes(buf) == data:  # a swap of identical regions changes nothing: make it a flip
        buf[rng.randrange(len(buf))] ^= 0x01
        kind = "flip"
    return kind, bytes(buf)


def test_200_random_corruptions_are_all_refused_and_change_nothing(sent):
    _a, b, path, root = sent
    good = path.read_bytes()
    before = dump(b)
    rng = random.Random(20261122)
    kinds: dict[str, int] = {}
    target = root / "bad.wzpkg"
    for _ in range(200):
        kind, data = corrupt(good, rng)
        kinds[kind] = kinds.get(kind, 0) + 1
        target.write_bytes(data)
        with pytest.raises(WenzeError):
            b.transfer.apply(target)
    assert dump(b) == before
    assert set(kinds) == {"flip", "truncate", "swap", "append", "cut"}
    assert b.transfer.apply(path).count("new") == 2  # the intact package still goes in afterwards


def _reencrypted(sent, edit) -> bytes:
    """What someone holding our public key could send: the real package, decrypted, edited, encrypted again."""
    _a, b, path, _root = sent
    plain = pyrage.decrypt(path.read_bytes(), [pyrage.x25519.Identity.from_str(identity_of(b))])
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        entries = [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()]
    entries = edit(entries)
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return pyrage.encrypt(out.getvalue(), [pyrage.x25519.Recipient.from_str(_recipient(b))])


def _recipient(ws) -> str:
    with ws.ctx.workspace.session() as s:
        return s.scalars(select(OfficeKey.recipient).where(OfficeKey.own.is_(True))).one()


def _swap(entries):
    entries[2], entries[3] = entries[3], entries[2]
    return entries


def _alter_record(entries):
    name, data = entries[2]
    entries[2] = (name, data.replace("张三".encode(), "王五".encode()))
    return entries


def _alter_manifest(entries):
    name, data = entries[0]
    entries[0] = (name, data.replace("张三".encode(), "王五".encode()))
    return entries


def _drop_last(entries):
    return entries[:-1]


def _extra(entries):
    return [*entries, ("cases/extra.json", b"{}")]


def _no_signature(entries):
    return [entries[0], *entries[2:]]


@pytest.mark.parametrize("edit, message", [
    (_swap, "条目与清单不符"), (_alter_record, "哈希"), (_alter_manifest, "签名不符"), (_drop_last, "不完整"),
    (_extra, "清单未列出"), (_no_signature, "签名"),
])
def test_contents_altered_and_re_encrypted_to_our_key_are_refused(sent, edit, message):
    _a, b, _path, root = sent
    target = root / f"{edit.__name__}.wzpkg"
    target.write_bytes(_reencrypted(sent, edit))
    before = dump(b)
    with pytest.raises(WenzeError, match=message):
        b.transfer.apply(target)
    assert dump(b) == before


def test_a_package_for_another_office_is_refused(sent, tmp_path):
    from tests.conftest import FakeClock

    a, b, _path, _root = sent
    c = office(tmp_path, "丙区纪委", FakeClock())
    befriend(a, c)
    other = a.transfer.export([rich_case(a, "赵六")], tmp_path / "for-c.wzpkg", to="丙区纪委").path
    before = dump(b)
    with pytest.raises(IntegrityFailure, match="不是发给本单位的"):
        b.transfer.apply(other)
    assert dump(b) == before
    c.close()


def test_a_newer_format_is_refused_with_a_clear_message(sent, monkeypatch):
    a, b, _path, root = sent
    monkeypatch.setattr(package_module, "FORMAT_VERSION", 2)
    newer = a.transfer.export([rich_case(a, "钱七")], root / "newer.wzpkg", to="乙市纪委").path
    monkeypatch.setattr(package_module, "FORMAT_VERSION", 1)
    before = dump(b)
    with pytest.raises(ValidationError, match="格式版本（2）比本程序支持的（1）新"):
        b.transfer.apply(newer)
    assert dump(b) == before


def test_a_file_that_is_not_a_package_is_refused(sent):
    _a, b, _path, root = sent
    junk = root / "junk.wzpkg"
    junk.write_bytes(b"PK\x03\x04 not ours")
    with pytest.raises(IntegrityFailure, match="不是问责系统的数据包"):
        b.transfer.inspect(junk)


def test_debian_age_decrypts_a_package_with_the_office_identity(sent, tmp_path):
    _a, b, path, _root = sent
    identity = tmp_path / "identity.txt"
    identity.write_text(identity_of(b) + "\n")
    plain = subprocess.run(["age", "-d", "-i", str(identity), str(path)], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        names = tar.getnames()
    assert names[:2] == ["manifest.json", "manifest.sig"]
    assert any(n.endswith("/case.json") for n in names) and any("/files/" in n for n in names)


def test_debian_age_decrypts_a_passphrase_package(sent, tmp_path):
    a, _b, _path, _root = sent
    pkg = a.transfer.export([rich_case(a, "孙八")], tmp_path / "pw.wzpkg", passphrase="交换口令-2026").path
    out = tmp_path / "plain.tar"
    pid, fd = pty.fork()
    if pid == 0:  # age reads a passphrase only from a terminal
        os.execvp("age", ["age", "-d", "-o", str(out), str(pkg)])
    seen = b""
    while b"assphrase" not in seen:
        seen += os.read(fd, 1024)
    os.write(fd, "交换口令-2026\n".encode())
    try:
        while os.read(fd, 1024):
            pass
    except OSError:
        pass
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    with tarfile.open(out) as tar:
        assert tar.getnames()[0] == "manifest.json"
