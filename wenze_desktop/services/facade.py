"""One open workspace with its services — the entry point for scripts, the CLI and the acceptance checks.

    ws = Workspace.open(data_dir, "admin", password)
    case_id = ws.cases.create(profile="gz2009", title=…, clue_source="complaint", received_on=…, respondents=[…])
    ws.procedure.perform(case_id, "preliminary_check", on=…)
    ws.close()
"""

from __future__ import annotations

from pathlib import Path

from wenze_desktop.domain.base import utcnow
from wenze_desktop.security import kdf
from wenze_desktop.services import auth
from wenze_desktop.services.accounts import AccountService
from wenze_desktop.services.admin import AdminService
from wenze_desktop.services.calendar import CalendarService
from wenze_desktop.services.cases import CaseService
from wenze_desktop.services.context import Clock, ServiceContext
from wenze_desktop.services.documents import DocumentService
from wenze_desktop.services.due_soon import DueSoonService
from wenze_desktop.services.lists import ListService
from wenze_desktop.services.office_keys import OfficeKeyService
from wenze_desktop.services.organ import OrganService
from wenze_desktop.services.procedure import ProcedureService
from wenze_desktop.services.transfer import TransferService


class Workspace:
    def __init__(self, ctx: ServiceContext, recovery_key: str | None = None) -> None:
        self.ctx = ctx
        self.recovery_key = recovery_key  # only right after create(): show it once, never stored
        self.cases = CaseService(ctx)
        self.procedure = ProcedureService(ctx)
        self.calendar = CalendarService(ctx)
        self.accounts = AccountService(ctx)
        self.admin = AdminService(ctx)
        self.documents = DocumentService(ctx)
        self.organ = OrganService(ctx)
        self.keys = OfficeKeyService(ctx)
        self.transfer = TransferService(ctx)
        self.due_soon = DueSoonService(ctx)
        self.lists = ListService(ctx)

    @classmethod
    def create(cls, data_dir: str | Path, username: str, password: str, *, display_name: str = "",
               workspace_name: str = "", organ_name: str = "", params: kdf.Argon2Params | None = None,
               clock: Clock = utcnow) -> Workspace:
        ctx, recovery_key = auth.create_workspace(Path(data_dir), username, password, display_name=display_name,
                                                  workspace_name=workspace_name, organ_name=organ_name,
                                                  params=params, clock=clock)
        return cls(ctx, recovery_key)

    @classmethod
    def open(cls, data_dir: str | Path, username: str, password: str, *, clock: Clock = utcnow) -> Workspace:
        return cls(auth.login(Path(data_dir), username, password, clock=clock))

    def close(self) -> None:
        self.ctx.workspace.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
