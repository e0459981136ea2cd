"""What the wizard shows of one case, read in one go on the database worker (never on the GUI thread)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from wenze_desktop.procedure.deadlines import Deadline
from wenze_desktop.procedure.engine import ActionOption
from wenze_desktop.procedure.view import CaseView
from wenze_desktop.security.permissions import Permission, refusal_of
from wenze_desktop.services.cases import CaseService
from wenze_desktop.services.context import ServiceContext
from wenze_desktop.services.procedure import ProcedureService


@dataclass(frozen=True)
class WizardState:
    """What the wizard shows of one case, read in one go on the database worker."""

    today: date
    view: CaseView
    options: tuple[ActionOption, ...]
    deadlines: tuple[Deadline, ...]
    attachments: tuple[tuple[str, str], ...]
    withdrawn: tuple[dict, ...]
    aggravations: tuple[str, ...]
    correction_refusal: str  # why the user may not correct or withdraw records ("" when they may)
    version: int | None = None  # the case's version, read first: what the wizard's forms record against


def load_state(ctx: ServiceContext, case_id: str) -> WizardState:
    # The version first: a change between these reads leaves the forms a version older than what they show, and
    # their recording is refused (and shown afresh) rather than taken on a case the clerk did not see.
    details = CaseService(ctx).details(case_id)
    service = ProcedureService(ctx)
    today = service.today()
    options = tuple(service.actions(case_id, today))
    aggravations = tuple(a.message for a in service.aggravations(case_id, today)) \
        if any(o.id == "decide" for o in options) else ()
    attachments = tuple((a.id, a.filename) for a in details.attachments)
    return WizardState(today, service.view(case_id), options, tuple(service.deadlines(case_id)), attachments,
                       tuple(service.withdrawn_records(case_id)), aggravations,
                       refusal_of(ctx.user.roles, (Permission.CASE_EDIT,), ctx.user.username), details.version)
