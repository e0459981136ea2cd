"""`wenze demo`: build the demonstration workspace (registered by ``wenze_desktop.cli``)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path


def cmd_demo(args, secrets) -> int:
    from wenze_desktop.errors import WorkspaceExists
    from wenze_desktop.paths import default_data_dir
    from wenze_desktop.services import demo
    from wenze_desktop.storage.workspace import Workspace

    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    if Workspace.exists(data_dir):
        raise WorkspaceExists(f"目录 {data_dir} 中已有工作区，未做任何改动。演示工作区只能建在新的目录中。")

    def progress(done: int, total: int, message: str) -> None:
        if not args.quiet:
            print(f"[{done}/{total}] {message}", file=sys.stderr)

    ws = demo.build_demo(data_dir, today=args.today, progress=progress)
    try:
        overdue = {d.case_id for d in ws.procedure.overdue(args.today)}
        recovery_key = ws.recovery_key
    finally:
        ws.close()
    print(f"已在 {data_dir} 建立演示工作区「{demo.DEMO_WORKSPACE_NAME}」"
          f"（{len(demo.CASES)} 个示例案件，其中 {len(overdue)} 个已超期）。")
    print(f"管理员：用户名 {demo.DEMO_USERNAME}  密码 {demo.DEMO_PASSWORD}")
    print(f"承办人：用户名 {demo.DEMO_CLERK_USERNAME}  密码 {demo.DEMO_PASSWORD}")
    print("演示数据均为虚构，请勿在演示工作区中录入真实案件。")
    print(f"RECOVERY KEY: {recovery_key}")
    return 0


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"「{text}」不是日期，请写成 YYYY-MM-DD") from None


def register(sub, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("demo", parents=[common], help="建立演示工作区（约 30 个虚构的示例案件）",
                       description="在新目录中建立演示工作区：约 30 个虚构案件，覆盖七项规定和各个办理环节。")
    p.add_argument("--today", type=_date, metavar="YYYY-MM-DD", help="以这一天为“今天”倒推各案件的日期（默认今天）")
    p.add_argument("--quiet", action="store_true", help="不显示进度")
    p.set_defaults(func=cmd_demo)
