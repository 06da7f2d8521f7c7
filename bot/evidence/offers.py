"""Where the chat hands out evidence links, always in a private window (a modal, a dialog, the
console's answer), never in a chat message that stays: the reporter's receipt
(`db_receipt_section`), the reporter's case view after the status check (`reporter_choice`, then
`db_reporter_upload`), and a member's case view (`db_member_part`: the list of files, "Add
documents", a "Download" per file; then `db_member_upload`, `db_member_download`).

Every member's link is issued after the case gate (`bot.access.db_case_for`: the single place a
designee's access plugs in) and audited. With CANDOR_PUBLIC_URL unset, the windows say plainly
that documents cannot be added or downloaded, where the button would be. Functions named `db_*`
take the caller's session and never commit.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from bot import actions, followup
from bot.access import db_case_for
from bot.core import CandorError, Core, is_committee
from bot.evidence import links, store
from bot.evidence.links import Grant, Purpose
from bot.messages import Actor, Choice, Document, Reply, Text
from bot.wording import evidence as kinds
from bot.wording import files as wording
from storage.models import Person, Report
from storage.vocabulary import DesignationScope

MAX_DOWNLOAD_BUTTONS = 10
_LATER = datetime.max.replace(tzinfo=UTC)  # set by links.db_issue


def _grant(report: Report, purpose: Purpose, *, person: Person | None,
           file_id: str | None = None, pending_id: str | None = None) -> Grant:
    # `anonymous` is the user's: an anonymous reporter (their files' names always removed, their
    # audit rows dated by the day, the page's warning). A member on an anonymous case is not one.
    # Whoever passed the case gate and is not on the committee is a designated person.
    if person is None:
        # a confidential reporter's too (issue 24): the committee must not learn who from a file
        role, anonymous = "reporter", report.anonymous or report.confidential
    else:
        role, anonymous = ("member" if is_committee(person) else "designee"), False
    return Grant(purpose, report.id, report.code, anonymous, role,
                 None if person is None else person.id, None if person is None else person.name,
                 scrub=anonymous, expires=_LATER, pending_id=pending_id, file_id=file_id)


def added_by(stored: store.StoredFile) -> str:
    who = stored.added_by
    if who.role == "reporter" or who.name is None:
        return wording.THE_REPORTER
    return wording.designee(who.name) if who.role == "designee" else who.name


# --- the reporter ---------------------------------------------------------------------------


def db_receipt_section(session: Session, core: Core, *, report_id: str, code: str,
                       anonymous: bool, pending_id: str | None) -> tuple[str, str]:
    """The receipt's part on documents: an upload link for this report (held or recorded)."""
    if not core.evidence.enabled:
        return (wording.DOCUMENTS, wording.NOT_AVAILABLE)
    grant = Grant(Purpose.UPLOAD, report_id, code, anonymous, "reporter", None, None,
                  scrub=anonymous, expires=_LATER, pending_id=pending_id)
    url = links.db_issue(session, core, grant)
    return (wording.DOCUMENTS, wording.receipt_upload(url, links.UPLOAD_MINUTES,
                                                      anonymous=anonymous))


def receipt_again(core: Core) -> tuple[str, str]:
    """The receipt shown again (the same form sent twice): its link was in the first one."""
    return (wording.DOCUMENTS, wording.RECEIPT_AGAIN if core.evidence.enabled
            else wording.NOT_AVAILABLE)


def reporter_choice(answer: Choice) -> Choice:
    """"Add documents" on the reporter's case view, bound like its answer button (to the case and
    to this reporter, for a while)."""
    parsed = actions.parse(answer.value)
    assert isinstance(parsed, actions.AnswerForm)
    return Choice(wording.ADD_DOCUMENTS, actions.ReporterFiles(parsed.record_id).encode())


def db_reporter_upload(session: Session, core: Core, person: Person, actor: Actor,
                       token: str) -> list[Reply]:
    report_id = followup.check_token(core, token, person=person, actor=actor)
    report = session.get(Report, report_id)
    if report is None or report.shredded_at is not None:
        raise CandorError(wording.FILE_NOT_FOUND)
    if not core.evidence.enabled:
        return [Document(wording.UPLOAD_TITLE, ((wording.DOCUMENTS, wording.NOT_AVAILABLE),))]
    url = links.db_issue(session, core, _grant(report, Purpose.UPLOAD, person=None))
    return [Document(wording.UPLOAD_TITLE, (
        (wording.DOCUMENTS, wording.upload_link(url, report.code, links.UPLOAD_MINUTES)),))]


# --- committee members ----------------------------------------------------------------------


def db_member_part(session: Session, core: Core, report: Report
                   ) -> tuple[tuple[str, str], tuple[Choice, ...]]:
    """The case view's list of files, and its buttons, for a member who passed the case gate."""
    files = store.db_files(session, core, report.id)
    listed = "\n".join(wording.file_line(f.name, wording.size(f.size), kinds.label(f.kind),
                                         f.day, added_by(f)) for f in files)
    if not core.evidence.enabled:
        return ((wording.DOCUMENTS, "\n".join(filter(None, (listed, wording.NOT_AVAILABLE)))), ())
    choices = [Choice(wording.ADD_DOCUMENTS, actions.AddFiles(report.id).encode())]
    choices += [Choice(wording.download_button(f.name), actions.GetFile(f.id).encode())
                for f in files[:MAX_DOWNLOAD_BUTTONS]]
    return ((wording.DOCUMENTS, listed or wording.NO_DOCUMENTS), tuple(choices))


def db_member_upload(session: Session, core: Core, member: Person,
                     report_id: str) -> list[Reply]:
    report = db_case_for(session, core, member, report_id, action="files.add",
                         designee_may=DesignationScope.INVESTIGATE)
    if not core.evidence.enabled:
        return [Text(wording.NOT_AVAILABLE)]
    url = links.db_issue(session, core, _grant(report, Purpose.UPLOAD, person=member))
    return [Document(wording.UPLOAD_TITLE, (
        (wording.DOCUMENTS, wording.upload_link(url, report.code, links.UPLOAD_MINUTES)),))]


def db_member_download(session: Session, core: Core, member: Person,
                       file_id: str) -> list[Reply]:
    stored = store.db_file(session, core, file_id)
    if stored is None or stored.owner.startswith(store.STAGING):
        raise CandorError(wording.FILE_NOT_FOUND)
    report = db_case_for(session, core, member, stored.owner, action="files.download",
                         designee_may=DesignationScope.INVESTIGATE)
    if not core.evidence.enabled:
        return [Text(wording.NOT_AVAILABLE)]
    url = links.db_issue(session, core, _grant(report, Purpose.DOWNLOAD, person=member,
                                               file_id=stored.id))
    return [Document(wording.DOWNLOAD_TITLE, (
        (wording.DOCUMENTS, wording.download_link(url, stored.name, links.DOWNLOAD_MINUTES)),))]
