"""Every button's value and every form's id, typed: built (`encode`) and read (`parse`,
`parse_form`) in this one place. The wire strings never change: buttons already posted in a
channel or a chat carry them, and the Slack and Teams stand-ins send them.

Lives here: one frozen dataclass per click (`Acknowledge`, `ViewCase`, `Menu`, `Cmd`, ...) and
per form (`ReportForm`, `AskSubmit`, `MoveSubmit`, ...). Clicks and form ids are two name spaces
(`answer:T` is both a click and a form; `attest:report` is a click, `attest:T` a form), hence
two parsers. A value that is unknown or malformed parses to None. May touch: nothing; it imports
nothing of the bot, so every builder and the route table (`bot.service`) may import it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, TypeVar

INTAKE_PREFIX = "intake:"  # the typed report's own steps (`bot.intake` builds and reads them)
DISCLOSURE_VIEW = "disclosure:view:"
CMD_NAMES = frozenset({"ethics", "attest"})  # the commands a button may stand for
_T = TypeVar("_T")


# --- clicks -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Menu:
    item: str  # report, attest, status, cases; anything else is help

    def encode(self) -> str:
        return f"menu:{self.item}"


@dataclass(frozen=True)
class _OnOne:
    """A click or a form about one record: the record's id after a fixed prefix."""

    record_id: str
    prefix: ClassVar[str] = ""

    def encode(self) -> str:
        return f"{self.prefix}:{self.record_id}"


@dataclass(frozen=True)
class Acknowledge(_OnOne):
    prefix = "case:ack"


@dataclass(frozen=True)
class ViewCase(_OnOne):
    prefix = "case:view"


@dataclass(frozen=True)
class AskForm(_OnOne):
    prefix = "case:ask"


@dataclass(frozen=True)
class DetermineForm(_OnOne):
    prefix = "case:determine"


@dataclass(frozen=True)
class ExcludeForm(_OnOne):
    prefix = "case:exclude"


@dataclass(frozen=True)
class HoldForm(_OnOne):
    prefix = "case:hold"


@dataclass(frozen=True)
class DiscloseForm(_OnOne):
    prefix = "waiver:disclose"  # the record is the waiver


@dataclass(frozen=True)
class AnswerForm(_OnOne):
    prefix = "answer"  # the record is a reporter's answer token (`bot.followup.answer_choice`)


@dataclass(frozen=True)
class ViewDisclosure(_OnOne):
    prefix = DISCLOSURE_VIEW.removesuffix(":")  # the record is the attestation


@dataclass(frozen=True)
class MoveForm:
    report_id: str
    to: str  # a CaseStatus value, checked by the use case

    def encode(self) -> str:
        return f"case:move:{self.report_id}:{self.to}"


@dataclass(frozen=True)
class _Fixed:
    """A click or a form that carries nothing: its value is always the same."""

    value: ClassVar[str] = ""

    def encode(self) -> str:
        return self.value


@dataclass(frozen=True)
class ReportAfterAttesting(_Fixed):
    value = "attest:report"


@dataclass(frozen=True)
class ChatReport(_Fixed):
    """The officer chose to type the report in the chat anyway."""

    value = "chatreport:start"


@dataclass(frozen=True)
class MyReports(_Fixed):
    """A named reporter's cases, opened from a notice without details."""

    value = "reporter:cases"


@dataclass(frozen=True)
class Cmd:
    """A command a button stands for (the reopen of a typed command, a case's status)."""

    name: str  # one of CMD_NAMES
    args: str = ""

    def encode(self) -> str:
        return f"cmd:{self.name}:{self.args}"


@dataclass(frozen=True)
class IntakeStep:
    """A button of the typed report's conversation, read by `bot.intake` as the typed text."""

    value: str  # starts with INTAKE_PREFIX

    def encode(self) -> str:
        return self.value


# The written notice (issue 22): record the delivery of a determination's notice letter.
@dataclass(frozen=True)
class NoticeDeliveryForm:
    report_id: str
    determination_id: str  # checked by the use case: a written notice's, on this case

    def encode(self) -> str:
        return f"case:notice:{self.report_id}:{self.determination_id}"


# --- issue 22's designations: a member's Designate, Renew and End on a case -------------------

@dataclass(frozen=True)
class DesignateForm(_OnOne):
    prefix = "case:designate"  # the record is the case


@dataclass(frozen=True)
class RenewForm(_OnOne):
    prefix = "designation:renew"  # the record is the designation


@dataclass(frozen=True)
class EndForm(_OnOne):
    prefix = "designation:end"  # the record is the designation


# evidence files (issue 23)
@dataclass(frozen=True)
class AddFiles(_OnOne):
    prefix = "case:addfiles"  # a member's "Add documents" on a case


@dataclass(frozen=True)
class GetFile(_OnOne):
    prefix = "file:get"  # a member's "Download" of one file (the record is the file)


@dataclass(frozen=True)
class ReporterFiles(_OnOne):
    prefix = "files:mine"  # the reporter's "Add documents" (the record is their answer token)


# --- notes on a case and its lead (issue 22) ---

@dataclass(frozen=True)
class NoteForm(_OnOne):
    prefix = "case:note"


@dataclass(frozen=True)
class TakeLead(_OnOne):
    """Take the lead on a case, or take it over from another member."""

    prefix = "case:lead"


@dataclass(frozen=True)
class HandBackLead(_OnOne):
    prefix = "case:unlead"


# confidential reporting (issue 24): the reporter's own choices about their name


@dataclass(frozen=True)
class ShowNameForm(_OnOne):
    prefix = "myname:show"  # the record is the report


@dataclass(frozen=True)
class LinkNameForm(_OnOne):
    prefix = "myname:link"  # the record is a token bound to the case and the reporter's account


# the quorum and consent reveal (issue 24)
@dataclass(frozen=True)
class RevealAskForm(_OnOne):
    prefix = "case:reveal"  # ask the other members allowed on the case


@dataclass(frozen=True)
class ConsentAskForm(_OnOne):
    prefix = "case:consent"  # ask the reporter


@dataclass(frozen=True)
class RevealOpen(_OnOne):
    prefix = "reveal:open"  # the record is a reveal request


@dataclass(frozen=True)
class ConsentAnswer:
    """The confidential reporter's yes or no to a member's request for their name."""

    request_id: str
    yes: bool

    def encode(self) -> str:
        return f"reveal:consent:{self.request_id}:{'yes' if self.yes else 'no'}"


# a member shows a confidential reporter's name to one designee (issue 24, designations)
@dataclass(frozen=True)
class RevealToForm:
    report_id: str
    designation_id: str  # checked by the use case: a designation in force on this case

    def encode(self) -> str:
        return f"case:revealto:{self.report_id}:{self.designation_id}"


def _reveal_click(rest: str) -> RevealOpen | ConsentAnswer | None:
    action, _, arg = rest.partition(":")
    if action == "open":
        return _some(arg, RevealOpen)
    if action == "consent":
        request_id, _, answer = arg.rpartition(":")
        return ConsentAnswer(request_id, answer == "yes") if request_id and answer in (
            "yes", "no") else None
    return None


Click = (Menu | Acknowledge | ViewCase | AskForm | DetermineForm | ExcludeForm | HoldForm
         | MoveForm | DiscloseForm | AnswerForm | ViewDisclosure | ReportAfterAttesting
         | ChatReport | MyReports | Cmd | IntakeStep
         | NoticeDeliveryForm | DesignateForm | RenewForm | EndForm
         | AddFiles | GetFile | ReporterFiles
         | NoteForm | TakeLead | HandBackLead
         | ShowNameForm | LinkNameForm
         | RevealAskForm | ConsentAskForm | RevealOpen | ConsentAnswer
         | RevealToForm)

_CASE_CLICKS: dict[str, Callable[[str], Click]] = {
    c.prefix.removeprefix("case:"): c
    for c in (Acknowledge, ViewCase, AskForm, DetermineForm, ExcludeForm, HoldForm,
              DesignateForm, AddFiles, NoteForm, TakeLead, HandBackLead,
              RevealAskForm, ConsentAskForm)}
_PLAIN_CLICKS: dict[str, Click] = {
    c.encode(): c for c in (ReportAfterAttesting(), ChatReport(), MyReports())}


def parse(value: str) -> Click | None:
    """The click a button's `value` stands for; None for one unknown or malformed."""
    if value.startswith(INTAKE_PREFIX):
        return IntakeStep(value)
    if value in _PLAIN_CLICKS:
        return _PLAIN_CLICKS[value]
    if value.startswith(DISCLOSURE_VIEW):
        return _some(value.removeprefix(DISCLOSURE_VIEW), ViewDisclosure)
    verb, _, rest = value.partition(":")
    if verb == "menu":
        return Menu(rest)
    if verb == "case":
        action, _, arg = rest.partition(":")
        if action == "move":
            report_id, colon, to = arg.partition(":")
            return MoveForm(report_id, to) if report_id and colon and to else None
        if action == "notice":  # the written notice (issue 22)
            report_id, colon, determination_id = arg.partition(":")
            return (NoticeDeliveryForm(report_id, determination_id)
                    if report_id and colon and determination_id else None)
        if action == "revealto":  # issue 24: the name shown to a designee
            report_id, colon, designation_id = arg.partition(":")
            return (RevealToForm(report_id, designation_id)
                    if report_id and colon and designation_id else None)
        click = _CASE_CLICKS.get(action)
        return None if click is None else _some(arg, click)
    if verb == "waiver" and rest.startswith("disclose:"):
        return _some(rest.removeprefix("disclose:"), DiscloseForm)
    if verb == "answer":
        return _some(rest, AnswerForm)
    if verb == "designation":
        action, _, arg = rest.partition(":")
        made: dict[str, Callable[[str], Click]] = {"renew": RenewForm, "end": EndForm}
        maker = made.get(action)
        return None if maker is None else _some(arg, maker)
    if verb == "file" and rest.startswith("get:"):
        return _some(rest.removeprefix("get:"), GetFile)
    if verb == "files" and rest.startswith("mine:"):
        return _some(rest.removeprefix("mine:"), ReporterFiles)
    if verb == "cmd":
        name, _, args = rest.partition(":")
        return Cmd(name, args) if name in CMD_NAMES else None
    if verb == "myname":  # issue 24
        which, _, arg = rest.partition(":")
        if which == "show":
            return _some(arg, ShowNameForm)
        return _some(arg, LinkNameForm) if which == "link" else None
    if verb == "reveal":
        return _reveal_click(rest)
    return None


def case_target(value: str) -> tuple[str, str] | None:
    """The verb and case id of any `case:VERB:ID[:...]` value, a verb unknown here included: an
    outsider's click is audited whatever it tried (`bot.access.db_refuse_outsider`)."""
    verb, _, rest = value.partition(":")
    action, _, arg = rest.partition(":")
    report_id = arg.partition(":")[0]
    return (action, report_id) if verb == "case" and arg else None


# --- forms ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReportForm:
    token: str = ""  # the form's one-time token (`bot.once`); none on very old forms

    def encode(self) -> str:
        return f"intake:{self.token}" if self.token else "intake"


@dataclass(frozen=True)
class AttestForm:
    token: str = ""

    def encode(self) -> str:
        return f"attest:{self.token}" if self.token else "attest"


@dataclass(frozen=True)
class WaiverSubmit(_Fixed):
    value = "waiver"


@dataclass(frozen=True)
class AskSubmit(_OnOne):
    prefix = "ask"


@dataclass(frozen=True)
class DetermineSubmit(_OnOne):
    prefix = "determine"


@dataclass(frozen=True)
class ExcludeSubmit(_OnOne):
    prefix = "exclude"


@dataclass(frozen=True)
class HoldSubmit(_OnOne):
    prefix = "hold"


@dataclass(frozen=True)
class DiscloseSubmit(_OnOne):
    prefix = "disclose"


@dataclass(frozen=True)
class AnswerSubmit(_OnOne):
    prefix = "answer"  # the record is the answer token


@dataclass(frozen=True)
class MoveSubmit:
    report_id: str
    to: str

    def encode(self) -> str:
        return f"move:{self.report_id}:{self.to}"


# The written notice (issue 22): the delivery form of a determination's notice letter.
@dataclass(frozen=True)
class NoticeDeliverySubmit:
    report_id: str
    determination_id: str

    def encode(self) -> str:
        return f"notice:{self.report_id}:{self.determination_id}"


# issue 22's designations
@dataclass(frozen=True)
class DesignateSubmit(_OnOne):
    prefix = "designate"  # the record is the case


@dataclass(frozen=True)
class RenewSubmit(_OnOne):
    prefix = "renew"  # the record is the designation


@dataclass(frozen=True)
class EndSubmit(_OnOne):
    prefix = "enddesignation"  # the record is the designation


@dataclass(frozen=True)
class NoteSubmit(_OnOne):  # notes on a case
    prefix = "note"


@dataclass(frozen=True)
class ShowNameSubmit(_OnOne):
    prefix = "myname-show"  # issue 24; the record is the report


@dataclass(frozen=True)
class LinkNameSubmit(_OnOne):
    prefix = "myname-link"  # issue 24; the record is the token



# the quorum and consent reveal (issue 24)
@dataclass(frozen=True)
class RevealAskSubmit(_OnOne):
    prefix = "reveal-ask"  # the record is the case


@dataclass(frozen=True)
class ConsentAskSubmit(_OnOne):
    prefix = "consent-ask"  # the record is the case


@dataclass(frozen=True)
class RevealVoteSubmit(_OnOne):
    prefix = "reveal-vote"  # the record is the reveal request


# issue 24: the form that shows a confidential reporter's name to a designee, with the reason
@dataclass(frozen=True)
class RevealToSubmit:
    report_id: str
    designation_id: str

    def encode(self) -> str:
        return f"revealto:{self.report_id}:{self.designation_id}"


FormAction = (ReportForm | AttestForm | WaiverSubmit | AskSubmit | DetermineSubmit | ExcludeSubmit
              | HoldSubmit | DiscloseSubmit | AnswerSubmit | MoveSubmit
              | NoticeDeliverySubmit | DesignateSubmit | RenewSubmit | EndSubmit
              | NoteSubmit | ShowNameSubmit | LinkNameSubmit
              | RevealAskSubmit | ConsentAskSubmit | RevealVoteSubmit
              | RevealToSubmit)

_ON_ONE: dict[str, Callable[[str], FormAction]] = {
    c.prefix: c for c in (AskSubmit, DetermineSubmit, ExcludeSubmit, HoldSubmit, DiscloseSubmit,
                          AnswerSubmit, DesignateSubmit, RenewSubmit, EndSubmit, NoteSubmit,
                          ShowNameSubmit, LinkNameSubmit,
                          RevealAskSubmit, ConsentAskSubmit, RevealVoteSubmit)}


def parse_form(form_id: str) -> FormAction | None:
    """The form a submitted `form_id` stands for; None for one unknown or malformed."""
    if form_id == "waiver":
        return WaiverSubmit()
    verb, _, rest = form_id.partition(":")
    if verb == "intake":
        return ReportForm(rest)
    if verb == "attest":
        return AttestForm(rest)
    if verb == "move":
        report_id, colon, to = rest.partition(":")
        return MoveSubmit(report_id, to) if report_id and colon and to else None
    if verb == "notice":  # the written notice (issue 22)
        report_id, colon, determination_id = rest.partition(":")
        return (NoticeDeliverySubmit(report_id, determination_id)
                if report_id and colon and determination_id else None)
    if verb == "revealto":  # issue 24: the name shown to a designee
        report_id, colon, designation_id = rest.partition(":")
        return (RevealToSubmit(report_id, designation_id)
                if report_id and colon and designation_id else None)
    form = _ON_ONE.get(verb)
    return None if form is None else _some(rest, form)


def _some(record_id: str, kind: Callable[[str], _T]) -> _T | None:
    return kind(record_id) if record_id else None
