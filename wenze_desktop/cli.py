"""The `wenze` command. Without a sub-command it starts the GUI.

Passwords are read from the terminal without echo, or one per line from standard input when it is not a
terminal, so scripts can drive every command. Before a command opens the workspace, whatever a killed process
left there (a half-done restore, scratch files) is finished or undone; what was done is printed as 提示 on
standard error, as is what the sign-in settled (an operation a killed process left half done).

Exit codes (the message on standard error says more):
    0   success
    1   the command ran but found a problem (e.g. ``verify`` failed), or another refusal
    2   wrong password (or a mistyped command line, with the usage)
    3   account locked or deactivated
    4   no workspace in the folder              5   a workspace (or its remains) is already there
    6   permission denied                       7   invalid input
    8   integrity failure (damaged file, wrong key, damaged backup)
    9   the procedure does not allow this now   10  cancelled
    11  CaseChanged: 案件已被他人修改 — the case was saved by someone else since it was read; nothing saved
    12  WorkspaceBusy: another window or command held the workspace too long; nothing changed
    70  internal error: the operation may not have completed; run ``wenze verify``
    130 interrupted (Ctrl-C)
"""

from __future__ import annotations

import argparse
import getpass
import sys
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from wenze_desktop import APP_TITLE, __version__
from wenze_desktop.errors import ValidationError, WenzeError
from wenze_desktop.paths import default_data_dir


class SecretReader:
    """Reads secrets from a terminal (hidden) or line by line from a pipe."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdin

    def read(self, prompt: str, confirm: bool = False) -> str:
        if self.stream.isatty():
            value = getpass.getpass(prompt)
            if confirm and getpass.getpass("再次输入以确认：") != value:
                raise ValidationError("两次输入的内容不一致。")
            return value
        line = self.stream.readline()
        if not line:
            raise ValidationError(f"标准输入中缺少{prompt.rstrip('：: ')}。")
        return line.rstrip("\r\n")


def _data_dir(args) -> Path:
    return Path(args.data_dir) if args.data_dir else default_data_dir()


def tell(notes: list[str]) -> None:
    """What was found and settled on the way in (by this process or a sign-in), on standard error."""
    from wenze_desktop.storage import recovery

    for note in [*recovery.take_notices(), *notes]:
        print(f"提示：{note}", file=sys.stderr)


def finish_interrupted(args) -> None:
    """Before any command touches the workspace: finish or undo what a killed process left there."""
    from wenze_desktop.storage import recovery

    tell(recovery.finish_interrupted(_data_dir(args)))


def cmd_init(args, secrets: SecretReader) -> int:
    from wenze_desktop.services.auth import create_workspace
    from wenze_desktop.storage.workspace import Workspace

    data_dir = _data_dir(args)
    found = Workspace.remains(data_dir)
    if found:  # say so before asking for a password
        from wenze_desktop.errors import WorkspaceExists
        from wenze_desktop.storage.workspace import remains_message

        raise WorkspaceExists(remains_message(data_dir, found))
    password = secrets.read(f"为管理员「{args.user}」设置密码：", confirm=True)
    ctx, recovery_key = create_workspace(data_dir, args.user, password, display_name=args.display_name or "",
                                         workspace_name=args.workspace_name or "", organ_name=args.organ or "")
    ctx.workspace.close()
    print(f"已在 {data_dir} 建立加密工作区，管理员账户：{args.user}")
    print("恢复密钥（只显示这一次，请抄写或打印后密封保存；忘记密码时凭它重设密码）：")
    print(f"RECOVERY KEY: {recovery_key}")
    return 0


@contextmanager
def signed_in(args, secrets: SecretReader, prompt: str = "密码："):
    """Log in as ``--user`` for one command; yields (service context, the password used) and closes after."""
    from wenze_desktop.services.auth import login

    password = secrets.read(f"用户「{args.user}」的{prompt}")
    ctx = login(_data_dir(args), args.user, password)
    try:
        tell(ctx.notices)
        yield ctx, password
    finally:
        ctx.workspace.close()


def cmd_verify(args, secrets: SecretReader) -> int:
    from wenze_desktop.services.admin import AdminService

    with signed_in(args, secrets) as (ctx, _):
        report = AdminService(ctx).verify()
    for name, passed, detail in report.checks:
        print(f"[{'通过' if passed else '失败'}] {name}：{detail}")
    if not report.ok:
        print("校验未通过。", file=sys.stderr)
        return 1
    print("工作区校验全部通过。")
    return 0


def cmd_backup(args, secrets: SecretReader) -> int:
    from wenze_desktop.services.admin import AdminService

    with signed_in(args, secrets) as (ctx, _):
        manifest = AdminService(ctx).backup(Path(args.out))
    print(f"已写入备份 {args.out}（数据结构版本 {manifest['schema_revision']}，数据库 SHA-256 "
          f"{manifest['files']['wenze.db']}）")
    return 0


def cmd_restore(args, secrets: SecretReader) -> int:
    from wenze_desktop.services.admin import restore

    password = secrets.read(f"备份中用户「{args.user}」的密码：")
    old_id, new_id = restore(Path(args.file), _data_dir(args), args.user, password, replace=args.replace)
    print(f"已从 {args.file} 恢复工作区到 {_data_dir(args)}。实例标识由 {old_id} 改为 {new_id}。")
    return 0


def cmd_passwd(args, secrets: SecretReader) -> int:
    from wenze_desktop.services.accounts import AccountService

    with signed_in(args, secrets, "原密码：") as (ctx, old_password):
        new_password = secrets.read("新密码：", confirm=True)
        AccountService(ctx).change_own_password(old_password, new_password)
    print(f"用户「{args.user}」的密码已修改（数据库未重新加密，只更新了该用户的密钥槽）。")
    return 0


def cmd_recover(args, secrets: SecretReader) -> int:
    from wenze_desktop.services.auth import recover

    recovery_key = secrets.read("恢复密钥：")
    new_password = secrets.read(f"用户「{args.user}」的新密码：", confirm=True)
    ctx = recover(_data_dir(args), recovery_key, args.user, new_password)
    ctx.workspace.close()
    tell(ctx.notices)
    print(f"已凭恢复密钥为用户「{args.user}」重设密码，并解除其锁定。")
    return 0


def cmd_useradd(args, secrets: SecretReader) -> int:
    from wenze_desktop.services.accounts import AccountService

    with signed_in(args, secrets) as (ctx, _):
        password = secrets.read(f"新用户「{args.name}」的初始密码：", confirm=True)
        roles = [r.strip() for r in args.roles.split(",") if r.strip()]
        AccountService(ctx).create_user(args.name, args.display_name or args.name, roles, password)
    print(f"已建立用户「{args.name}」，角色：{args.roles}")
    return 0


def cmd_policy(args, secrets: SecretReader) -> int:
    from dataclasses import replace

    from wenze_desktop.services.accounts import AccountService

    with signed_in(args, secrets) as (ctx, _):
        policy = ctx.workspace.keyring.policy
        changes = {k: v for k in ("max_failures", "lockout_minutes", "idle_minutes", "min_password_length")
                   if (v := getattr(args, k)) is not None}
        if changes:
            policy = replace(policy, **changes)
            AccountService(ctx).set_login_policy(policy)
    print(f"连续失败 {policy.max_failures} 次锁定 {policy.lockout_minutes} 分钟；空闲 {policy.idle_minutes} 分钟锁定；"
          f"密码至少 {policy.min_password_length} 个字符。")
    return 0


def cmd_selftest(args, secrets: SecretReader) -> int:
    from wenze_desktop import selftest

    ok = selftest.run()
    print("自检通过。" if ok else "自检未通过。")
    return 0 if ok else 1


def cmd_gui(args, secrets: SecretReader) -> int:
    from wenze_desktop.gui.app import main as gui_main

    return gui_main(data_dir=Path(args.data_dir) if args.data_dir else None)


def command_adder(sub, common: argparse.ArgumentParser) -> Callable[..., argparse.ArgumentParser]:
    """``add(name, func, help, user=True)``: a subcommand with the common options and, usually, ``--user``
    (shared by the modules that register their own commands)."""
    def add(name: str, func: Callable, help_text: str, user: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        if user:
            p.add_argument("--user", required=True, metavar="NAME", help="用户名")
        p.set_defaults(func=func)
        return p

    return add


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", default=argparse.SUPPRESS, metavar="DIR",
                        help="工作区目录（默认为当前用户的数据目录）")
    parser = argparse.ArgumentParser(prog="wenze", description=f"{APP_TITLE} {__version__}",
                                     parents=[common])
    parser.add_argument("--version", action="version", version=f"wenze {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    add = command_adder(sub, common)
    p = add("init", cmd_init, "建立新的加密工作区和第一位管理员")
    p.add_argument("--display-name", help="管理员姓名")
    p.add_argument("--workspace-name", help="工作区名称")
    p.add_argument("--organ", help="承办机关名称")
    add("verify", cmd_verify, "校验数据库完整性、数据结构版本和审计链")
    add("backup", cmd_backup, "写出一致的加密备份").add_argument("--out", required=True, metavar="FILE")
    p = add("restore", cmd_restore, "从备份恢复工作区（恢复后的工作区获得新的实例标识）")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--replace", action="store_true", help="替换已有工作区（原文件移入 backups/）")
    add("passwd", cmd_passwd, "修改密码（先输入原密码，再输入新密码）")
    add("recover", cmd_recover, "凭恢复密钥重设用户密码")
    p = add("useradd", cmd_useradd, "建立用户账户（需要系统管理员权限）")
    p.add_argument("--name", required=True, help="新用户的用户名")
    p.add_argument("--display-name", help="新用户的姓名")
    p.add_argument("--roles", required=True, help="角色，逗号分隔：system_admin, security_officer, "
                   "security_auditor, handler, reviewer, leader")
    p = add("policy", cmd_policy, "查看或修改登录策略（锁定、空闲锁定、密码长度）")
    for option, help_text in (("--max-failures", "连续失败几次锁定"), ("--lockout-minutes", "锁定多少分钟"),
                              ("--idle-minutes", "空闲多少分钟锁定会话"), ("--min-password-length", "密码最小长度")):
        p.add_argument(option, type=int, help=help_text)
    add("selftest", cmd_selftest, "自检：无需显示器和工作区", user=False)
    add("gui", cmd_gui, "启动图形界面", user=False)
    from wenze_desktop.cli_procedure import register

    register(sub, common)
    from wenze_desktop.cli_demo import register as register_demo  # `wenze demo`

    register_demo(sub, common)
    from wenze_desktop.cli_documents import register as register_documents  # `wenze document` …

    register_documents(sub, common)
    from wenze_desktop.cli_transfer import register as register_transfer  # `wenze export`, `import`, `keys` …

    register_transfer(sub, common)
    from wenze_desktop.cli_records import register as register_records  # `wenze case history`, `amend` …

    register_records(sub, common)
    return parser


NO_WORKSPACE_COMMANDS = ("selftest", "gui")  # the GUI finishes an interrupted operation itself, and says so


def main(argv: list[str] | None = None, stdin=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.data_dir = getattr(args, "data_dir", None)
    secrets = SecretReader(stdin)
    if args.command is None:
        return cmd_gui(args, secrets)
    try:
        if args.command not in NO_WORKSPACE_COMMANDS:
            finish_interrupted(args)
        return args.func(args, secrets)
    except WenzeError as err:
        print(f"错误：{err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("已取消。", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        return 0
    except Exception:
        print("内部错误：操作可能没有完成，工作区中可能已有部分改动。请运行“wenze verify”检查工作区，"
              "并把以下信息交给技术支持：", file=sys.stderr)
        traceback.print_exc()
        return 70


if __name__ == "__main__":
    sys.exit(main())
