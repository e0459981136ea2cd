"""`wenze export`, `import`, `keys`, `conflicts` (registered by wenze_desktop.cli).

Secrets come from standard input one per line: first the user's password, then (with --passphrase-stdin) the
package passphrase.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wenze_desktop.errors import ValidationError


def _say(text: str) -> None:
    print(text, file=sys.stderr)


class _Progress:
    """Progress on stderr, one line per 10 %, so a script (or a test) can follow a long transfer."""

    def __init__(self) -> None:
        self.last = -1

    def __call__(self, done: int, total: int, message: str) -> bool:
        step = int(done * 10 / max(total, 1))
        if step != self.last:
            self.last = step
            _say(f"{message} {step * 10}%")
        return True


def cmd_export(args, secrets) -> int:
    from wenze_desktop.cli import signed_in
    from wenze_desktop.services.facade import Workspace

    if (args.to is None) == (not args.passphrase_stdin):
        raise ValidationError("请用 --to 指定接收单位的公钥文件，或用 --passphrase-stdin 从标准输入读取口令"
                              "（二选一）。")
    with signed_in(args, secrets) as (ctx, _):
        passphrase = secrets.read("数据包口令：", confirm=True) if args.passphrase_stdin else None
        ws = Workspace(ctx)
        case_ids = [ws.cases.id_of(number) for number in args.case]
        result = ws.transfer.export(case_ids, Path(args.out), to=args.to, passphrase=passphrase,
                                    progress=_Progress())
        print(f"{result.path}\t{len(result.case_numbers)} 件\t接收方：{result.recipient}\t{result.size} 字节\t"
              f"SHA-256 {result.sha256}", flush=True)
    return 0


def cmd_import(args, secrets) -> int:
    from wenze_desktop.cli import signed_in
    from wenze_desktop.services.facade import Workspace
    from wenze_desktop.services.transfer import ImportedWithError
    from wenze_desktop.transfer.archive import sniff

    path = Path(args.file)
    if not path.is_file():
        raise ValidationError(f"找不到数据包 {path}。")
    with signed_in(args, secrets) as (ctx, _):
        passphrase = None
        if args.passphrase_stdin:
            passphrase = secrets.read("数据包口令：")
        elif sniff(path) == "scrypt":
            raise ValidationError("此数据包以口令加密，请加 --passphrase-stdin 并在密码之后输入口令。")
        ws = Workspace(ctx)
        if args.dry_run:
            result = ws.transfer.inspect(path, passphrase=passphrase, progress=_Progress())
        else:
            try:
                result = ws.transfer.apply(path, passphrase=passphrase, progress=_Progress())
            except ImportedWithError as err:  # committed: list what was imported, then say what went wrong
                _report(err.result, dry_run=False)
                raise
        # Reported before the workspace is closed: whatever happens after an import, the clerk has read what it did.
        _report(result, dry_run=args.dry_run)
    return 0


def _report(result, *, dry_run: bool) -> None:
    print(f"发送单位：{result.sender_name}（公钥指纹 {result.sender_fingerprint}），导出人 {result.exported_by}，"
          f"{result.created_at}")
    for plan in result.cases:
        print(f"{plan.number}\t{plan.label}\t{plan.title}" + (f"\t{plan.reason}" if plan.reason else ""))
    verb = "预演（未写入任何内容）" if dry_run else "已导入"
    print(f"{verb}：{result.summary()}。数据包 SHA-256 {result.package_sha256}", flush=True)
    if result.count("conflict", "known_conflict"):
        _say("有冲突的案件未覆盖本地版本，双方版本都已保留，请在“管理 → 交换冲突”中处理（或 wenze conflicts）。")


def cmd_keys(args, secrets) -> int:
    from wenze_desktop.cli import signed_in
    from wenze_desktop.services.facade import Workspace
    from wenze_desktop.storage.atomic import atomic_write_bytes

    with signed_in(args, secrets) as (ctx, _):
        keys = Workspace(ctx).keys
        if args.action == "export":
            text, qr = keys.export_public()
            own = keys.own()
            if args.out:
                atomic_write_bytes(Path(args.out), (qr + "\n" if args.qr else text).encode())
                print(f"{args.out}\t{own.office_name}\t公钥指纹 {own.fingerprint}")
            else:
                print(qr if args.qr else text, end="\n" if args.qr else "")
            _say(f"请通过电话等另一渠道向对方单位核对指纹：{own.fingerprint}")
        elif args.action == "import":
            if not args.file:
                raise ValidationError("请给出对方单位的公钥文件。")
            try:
                text = Path(args.file).read_text("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ValidationError(f"无法读取公钥文件 {args.file}。") from exc
            info = keys.trust(text)
            print(f"已导入为可信单位：{info.office_name}\t公钥指纹 {info.fingerprint}")
            _say("请确认此指纹与对方单位电话告知的一致；如不一致，请立即用 wenze keys remove 移除。")
        elif args.action == "remove":
            if not args.file:
                raise ValidationError("请给出要移除的单位名称或公钥指纹。")
            keys.remove(args.file)
            print(f"已移除信任：{args.file}")
        else:
            for office in keys.offices():
                who = "本单位" if office.own else "可信单位"
                print(f"{who}\t{office.office_name}\t{office.fingerprint}\t{office.added_by}\t"
                      f"{office.added_at.astimezone():%Y-%m-%d %H:%M}")
    return 0


def cmd_conflicts(args, secrets) -> int:
    from wenze_desktop.cli import signed_in
    from wenze_desktop.services.facade import Workspace

    with signed_in(args, secrets) as (ctx, _):
        transfer = Workspace(ctx).transfer
        if args.resolve:
            transfer.resolve(args.resolve, "local" if args.keep == "local" else "incoming")
            print(f"已处理冲突 {args.resolve}：{'保留本地版本' if args.keep == 'local' else '采用对方版本'}")
            return 0
        rows = transfer.conflicts(include_resolved=args.all)
    for c in rows:
        state = {"kept_local": "已保留本地", "took_incoming": "已采用对方"}.get(c.resolution or "", "待处理")
        print(f"{c.id}\t{c.case_number}\t{c.case_title}\t来自 {c.sender_name}\t{c.reason}\t{state}")
    if not rows:
        print("没有待处理的交换冲突。")
    return 0


def register(sub, common: argparse.ArgumentParser) -> None:
    from wenze_desktop.cli import command_adder

    add = command_adder(sub, common)

    p = add("export", cmd_export, "把案件导出为加密、签名的数据包（.wzpkg），用于U盘交换")
    p.add_argument("--case", required=True, nargs="+", action="extend", metavar="NUMBER", help="案件编号（可多个）")
    p.add_argument("--to", metavar="OFFICE_KEY_FILE", help="接收单位的公钥文件（须已导入为可信单位），或其名称/指纹")
    p.add_argument("--passphrase-stdin", action="store_true", help="改用口令加密：在密码之后从标准输入读取口令")
    p.add_argument("--out", required=True, metavar="FILE", help="输出的数据包文件")
    p = add("import", cmd_import, "校验并导入数据包（全部成功或全部不写入）")
    p.add_argument("file", metavar="FILE.wzpkg")
    p.add_argument("--dry-run", action="store_true", help="只校验并列出每个案件将新增、更新、无变化或冲突，不写入")
    p.add_argument("--passphrase-stdin", action="store_true", help="以口令加密的数据包：在密码之后从标准输入读取口令")
    p = add("keys", cmd_keys, "单位密钥：导出本单位公钥、导入其他单位公钥为可信、列出、移除（安全保密管理员）")
    p.add_argument("action", choices=["export", "import", "list", "remove"])
    p.add_argument("file", nargs="?", metavar="FILE", help="import：对方的公钥文件；remove：单位名称或指纹")
    p.add_argument("--out", metavar="FILE", help="export：写入文件（默认输出到屏幕）")
    p.add_argument("--qr", action="store_true", help="export：输出单行二维码文本")
    p = add("conflicts", cmd_conflicts, "列出或处理导入时保留下来的交换冲突")
    p.add_argument("--all", action="store_true", help="也列出已处理的")
    p.add_argument("--resolve", metavar="ID", help="处理指定的冲突")
    p.add_argument("--keep", choices=["local", "incoming"], default="local", help="保留本地版本或采用对方版本")
