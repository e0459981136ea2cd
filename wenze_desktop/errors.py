"""Errors that reach the user. Each carries a message in Simplified Chinese that says what to do."""


class WenzeError(Exception):
    """Base class: ``str(err)`` is the message shown to the user."""

    exit_code = 1


class WrongPassword(WenzeError):
    exit_code = 2


class AccountLocked(WenzeError):
    exit_code = 3


class WorkspaceMissing(WenzeError):
    exit_code = 4


class WorkspaceExists(WenzeError):
    exit_code = 5


class PermissionDenied(WenzeError):
    exit_code = 6


class ValidationError(WenzeError):
    exit_code = 7


class IntegrityFailure(WenzeError):
    exit_code = 8


class ProcedureRefused(WenzeError):
    """The regulation does not allow this action now; ``article`` says where the rule is."""

    exit_code = 9

    def __init__(self, message: str, article: str = "", reading: bool = False) -> None:
        from wenze_desktop.procedure.citations import cited  # errors is imported by everything: keep it light

        self.message = message
        self.article = article
        self.reading = reading  # uncited: the text is silent and this is the profile's reading
        super().__init__(cited(message, article, reading))


class Cancelled(WenzeError):
    """The user stopped a long operation; nothing it started was kept."""

    exit_code = 10


class CaseChanged(WenzeError):
    """Someone else saved the case after this form was opened: nothing was saved; reload and redo."""

    exit_code = 11


class WorkspaceBusy(WenzeError):
    """Another program (a second window, the command line) held the workspace too long; nothing was changed."""

    exit_code = 12
