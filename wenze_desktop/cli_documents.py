"""`wenze document`, `verify-document`, `document-void`, `seal`, `letterhead` (registered by wenze_desktop.cli)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wenze_desktop.errors import IntegrityFailure, ValidationError
from wenze_desktop.procedure.actions import DOCUMENT_KINDS


def _say(text: str) -> None:
    print(text, file=sys.stderr)


def _want_seal(args, ws, kind: str) -> bool | None:
    """--seal / --no-seal; otherwise seal what is normally sealed when this user may and a seal is registered."""
    from wenze_desktop.documents.content import SEALED_BY_DEFAULT
    from wenze_desktop.security.permissions import Permission, permissions_of

    if args.seal is not None:
        return args.seal
    if kind not in SEALED_BY_DEFAULT:
        return False
    if Permission.DOCUMENT_SEAL not in permissions_of(ws.ctx.user.roles):
        _say("提示：当前用户没有“加盖印章”权限，文书将不盖章签发。")
        return False
    if not any(seal.active for seal in ws.organ.seals()):
        _say("提示：尚未登记印章，文书将不盖章签发。")
        return False
    return True


def _one(ws, case_number: str, kind: str, out: Path, args) -> None:
    """Issue (or take the live copy of) one document and write it to ``out``. The issue is one transaction (number,
    PDF, audit entry); the file is written afterwards, audited before it exists (``DocumentService.export``)."""
    case_id = ws.cases.id_of(case_number)
    choice = next((c for c in ws.documents.choices(case_id) if c.kind == kind), None)
    if choice is None:
        raise ValidationError(f"案件 {case_number} 适用的规定不产生{DOCUMENT_KINDS[kind]}。")
    if choice.current is not None and not args.reissue:
        info = choice.current
        _say(f"{info.label} {info.number} 已于 {info.issued_at.astimezone():%Y-%m-%d} 签发，输出存档原件"
             "（与签发时逐字节相同；要重新签发请先作废，或加 --reissue）。")
    else:
        info = ws.documents.issue(case_id, kind, sealed=_want_seal(args, ws, kind))
    ws.documents.export(info.id, out)
    print(f"{out}\t{info.number}\t{'已盖章' if info.sealed else '未盖章'}\t核验码 {info.verification_code}\t"
          f"SHA-256 {info.sha256}")


def cmd_document(args, secrets) -> int:
    from wenze_desktop.cli import signed_in
    from wenze_desktop.services.facade import Workspace

    out = Path(args.out)
    if len(args.case) > 1 and not (out.is_dir() or args.out.endswith(("/", "\\"))):
        raise ValidationError("输出多个案件的文书时，--out 须为目录。")
    with signed_in(args, secrets) as (ctx, _):
        ws = Workspace(ctx)
        for i, number in enumerate(args.case, start=1):
            target = out / f"{number}-{args.kind}.pdf" if len(args.case) > 1 else out
            if len(args.case) > 1:
                _say(f"[{i}/{len(args.case)}] {number}")
            _one(ws, number, args.kind, target, args)
    return 0


def cmd_verify_document(args, secrets) -> int:
    from wenze_desktop.cli import signed_in
    from wenze_desktop.services.facade import Workspace

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ValidationError(f"无法读取 {path}：{err.strerror or err}") from None
    with signed_in(args, secrets) as (ctx, _):
        result = Workspace(ctx).documents.verify(data)
    print(result.message)
    if result.document is not None:
        d = result.document
        print(f"案件：{d.case_number}\n文号：{d.number}\n种类：{d.label}\n核验码：{d.verification_code}\n"
              f"存档 SHA-256：{d.sha256}")
    if not result.ok:
        raise IntegrityFailure("核验未通过。")
    return 0


def cmd_document_void(args, secrets) -> int:
    from wenze_desktop.cli import signed_in
    from wenze_desktop.services.facade import Workspace

    with signed_in(args, secrets) as (ctx, _):
        ws = Workspace(ctx)
        case_id = ws.cases.id_of(args.case)
        doc = next((d for d in ws.documents.issued(case_id) if d.number == args.number), None)
        if doc is None:
            raise ValidationError(f"案件 {args.case} 没有文号为 {args.number} 的文书。")
        ws.documents.void(doc.id, args.reason)
    print(f"已作废 {args.number}。该文号保留在登记簿中，不再使用。")
    return 0


def cmd_seal(args, secrets) -> int:
    from wenze_desktop.cli import signed_in
    from wenze_desktop.services.facade import Workspace

    with signed_in(args, secrets) as (ctx, _):
        organ = Workspace(ctx).organ
        if args.action == "register":
            if not args.file or not args.name:
                raise ValidationError("登记印章需要 --name 和印章图像文件（PNG，透明背景）。")
            try:
                png = Path(args.file).read_bytes()
            except OSError as err:
                raise ValidationError(f"无法读取 {args.file}：{err.strerror or err}") from None
            info = organ.register_seal(args.name, png)
            print(f"已登记印章「{info.name}」（{info.width}×{info.height}，SHA-256 {info.sha256}）。")
        else:
            for seal in organ.seals():
                state = "使用中" if seal.active else f"已停用 {seal.retired_at.astimezone():%Y-%m-%d}"
                print(f"{seal.name}\t{state}\t{seal.registered_by}\t{seal.sha256}")
    return 0


def cmd_letterhead(args, secrets) -> int:
    from wenze_desktop.cli import signed_in
    from wenze_desktop.services.facade import Workspace

    changes = {k: getattr(args, k) for k in ("mark", "signing_organ", "organ_code", "printer", "cc")
               if getattr(args, k) is not None}
    if args.code:
        pairs = [item.split("=", 1) for item in args.code]
        if any(len(p) != 2 for p in pairs):
            raise ValidationError("--code 的格式是 种类=代字，例如 decision=问")
        changes["kind_codes"] = dict(pairs)
    with signed_in(args, secrets) as (ctx, _):
        organ = Workspace(ctx).organ
        if changes:
            current = organ.letterhead()
            if "kind_codes" in changes:
                changes["kind_codes"] = {**current.kind_codes, **changes["kind_codes"]}
            organ.set_letterhead(**changes)
        head = organ.letterhead()
    print(f"发文机关标志：{head.mark}\n发文机关署名：{head.signer}\n机关代字：{head.organ_code or '（未设置）'}\n"
          f"印发机关：{head.printer or head.signer}\n抄送：{head.cc or '（无）'}")
    for kind, label in DOCUMENT_KINDS.items():
        print(f"  {label}（{kind}）文种代字：{organ.kind_code(head, kind)}")
    return 0


def register(sub, common: argparse.ArgumentParser) -> None:
    from wenze_desktop.cli import command_adder

    add = command_adder(sub, common)

    kinds = "、".join(f"{k}（{v}）" for k, v in DOCUMENT_KINDS.items())
    p = add("document", cmd_document, "签发或重印案件的文书（PDF，GB/T 9704 格式）")
    p.add_argument("--case", required=True, action="append", metavar="NUMBER", help="案件编号（可重复，批量输出）")
    p.add_argument("--kind", required=True, choices=list(DOCUMENT_KINDS), metavar="KIND", help=f"文书种类：{kinds}")
    p.add_argument("--out", required=True, metavar="FILE", help="输出的 PDF 文件（多个案件时为目录）")
    seal = p.add_mutually_exclusive_group()
    seal.add_argument("--seal", dest="seal", action="store_true", default=None, help="加盖印章（需要加盖印章权限）")
    seal.add_argument("--no-seal", dest="seal", action="store_false", help="不盖章")
    p.add_argument("--reissue", action="store_true", help="已签发过的也重新编号签发（原件仍有效，请另行作废）")
    p = add("verify-document", cmd_verify_document, "核验 PDF 文书是否为本工作区签发且未被改动")
    p.add_argument("file", metavar="FILE.pdf")
    p = add("document-void", cmd_document_void, "作废已签发的文书（文号保留，不再使用）")
    p.add_argument("--case", required=True, metavar="NUMBER")
    p.add_argument("--number", required=True, help="文号，如 穗纪问〔2026〕12号")
    p.add_argument("--reason", required=True, help="作废理由")
    p = add("seal", cmd_seal, "登记或列出印章（安全保密管理员）")
    p.add_argument("action", choices=["register", "list"])
    p.add_argument("file", nargs="?", metavar="SEAL.png", help="印章图像：PNG，透明背景，红色")
    p.add_argument("--name", help="印章名称")
    p = add("letterhead", cmd_letterhead, "查看或设置文书的发文机关标志、代字、印发机关和抄送（系统管理员）")
    p.add_argument("--mark", help="发文机关标志（红头）")
    p.add_argument("--signing-organ", help="发文机关署名（默认同红头）")
    p.add_argument("--organ-code", help="机关代字，如 穗纪")
    p.add_argument("--code", action="append", metavar="KIND=代字", help="文种代字，如 decision=问（可重复）")
    p.add_argument("--printer", help="印发机关")
    p.add_argument("--cc", help="抄送机关")
