"""The homes (the App Home, the personal tab) and the menu a stray message gets back.

Lives here: `menu` (the choices for a message that is no command), `db_my_reports` (a named
reporter's cases), `db_home` (who gets which home), `db_officer_home` (the officer's attestation
and named reports) and `db_committee_home` (open cases, overdue items, the attestation roll,
disclosures, waivers).
Dates are the company's (`Core.today`).
May touch: reads only, through the caller's session and the vault (names, the reports of a
named reporter); it checks who is kept away from what (`bot.visibility`, the exclusions) and
writes nothing, not even an audit row.
"""

from __future__ import annotations

from sqlmodel import Session

from bot import actions, attestation, designee_desk, disclosures, lead, visibility, waivers
from bot.access import db_officers, db_open_cases
from bot.attesting import db_attested_periods, db_last_attestation, db_owed
from bot.core import Core, db_exclusions, is_committee
from bot.messages import CASE_CHECK, Choice, Choices, Document
from bot.reports import db_reports_of
from bot.wording import attestations, casework, following, menus
from bot.wording import notes as notes_wording
from storage.models import Person
from storage.vocabulary import CaseStatus, PersonKind

_HELP = Choice(menus.HELP_BUTTON, actions.Menu("help").encode())
# The choices that lead to a window name what it shows (`Choice.window`): where a button opens a
# window at once, reaching the report form, the attestation or the case check writes nothing into
# the chat, neither a typed word nor a card in answer, so the chat's history does not date the
# visit. (The offer after an attestation stays a click in the chat: it first says what a report
# made then risks.)
_REPORT = Choice(menus.REPORT_BUTTON, actions.Menu("report").encode(),
                 window=actions.Cmd("ethics", "report").encode())
_STATUS = Choice(menus.STATUS_BUTTON, actions.Menu("status").encode(), window=CASE_CHECK)
_ATTEST = Choice(menus.ANNUAL_ATTESTATION, actions.Menu("attest").encode(),
                 window=actions.Cmd("attest").encode())


def menu(person: Person) -> Choices:
    choices = [_REPORT, _STATUS]
    if person.kind is PersonKind.OFFICER:
        choices.insert(1, _ATTEST)
        return Choices(menus.MENU_OFFICER, tuple(choices + [_HELP]))
    choices.insert(0, Choice(casework.OPEN_CASES, actions.Menu("cases").encode()))
    return Choices(menus.MENU_COMMITTEE, tuple(choices + [_HELP]))


def db_home(session: Session, core: Core, person: Person) -> Document:
    """The home `person` gets: the committee's, a designee's (issue 22), or an officer's."""
    if person.kind is PersonKind.DESIGNEE:
        return designee_desk.db_home(session, core, person)
    if is_committee(person):
        return db_committee_home(session, core, person)
    return db_officer_home(session, core, person)


def db_officer_home(session: Session, core: Core, person: Person) -> Document:
    today = core.today()
    owed = db_owed(session, person, today)
    last = db_last_attestation(session, person)
    if last is not None and not owed.is_open(today):
        status = attestations.attest_home_done(last.period, f"{last.attested_at:%Y-%m-%d}",
                                       owed.opens_on.isoformat())
    elif owed.scheduled:
        status = attestations.attest_home_due(owed.period, owed.due.isoformat(),
                                              overdue=owed.due < today)
    else:
        status = attestations.ATTEST_HOME_UNSCHEDULED
    sections = [(menus.ANNUAL_ATTESTATION, status)]
    cases = db_reports_of(session, core, person)
    sections.append((following.MY_REPORTS_TITLE, "\n".join(
        menus.named_report_line(r.code, r.status.label, r.received_at) for r in cases
    ) or menus.OFFICER_HOME_NO_REPORTS))
    return Document(menus.OFFICER_HOME_TITLE, tuple(sections), (_REPORT, _ATTEST))


def db_committee_home(session: Session, core: Core, person: Person) -> Document:
    today = core.today()
    reports = db_open_cases(session)
    excluded = db_exclusions(session, core, [r.id for r in reports])
    visible = [r for r in reports if person.id not in excluded.get(r.id, set())]
    leads = lead.db_lead_names(session, core, visible)  # issue 22: the list shows the lead
    open_lines = [notes_wording.with_lead(menus.open_case_line(r.code, r.status.label,
                                                               r.category.label), leads.get(r.id))
                  for r in visible]
    overdue = [menus.overdue_acknowledgement(r.code, core.acknowledge_by(r))
               for r in visible
               if r.status is CaseStatus.RECEIVED and core.acknowledge_by(r) < today]
    overdue += [menus.overdue_feedback(r.code, core.feedback_due(r))
                for r in visible if r.last_feedback_at is None and core.feedback_due(r) < today]
    officers = db_officers(session)
    periods = db_attested_periods(session)
    roll = []
    for officer in officers:
        owed = attestation.owed(officer.attestation_due, periods.get(officer.id, set()), today)
        if not owed.is_open(today):
            roll.append(menus.roll_attested(officer.name, int(owed.period) - 1, owed.due))
        elif owed.scheduled and owed.due < today:
            roll.append(menus.roll_overdue(officer.name, owed.due, owed.period))
        else:
            roll.append(menus.roll_due(officer.name, owed.due if owed.scheduled else None))
    kept = visibility.db_kept_away(session, core, person)
    undisclosed = [menus.waiver_to_disclose(p.name, w.provision, w.disclosure_due)
                   for w, p in waivers.db_waivers(session)
                   if w.disclosed_on is None and kept.shows_officer(w.person_id)]
    disclosed = disclosures.db_recent(session, limit=5, kept=kept)
    return Document(menus.COMMITTEE_HOME_TITLE, (
        (casework.OPEN_CASES, "\n".join(open_lines) or menus.NONE_LISTED),
        (menus.OVERDUE_HEADING, "\n".join(overdue) or menus.NOTHING_OVERDUE),
        (menus.ROLL_HEADING, "\n".join(roll) or menus.ROLL_EMPTY),
        (menus.DISCLOSED_HEADING, "\n".join(
            menus.disclosed_line(p.name, a.period, a.attested_at) for a, p in disclosed)
         or menus.NONE_LISTED),
        (menus.WAIVERS_HEADING, "\n".join(undisclosed) or menus.NO_WAIVERS_TO_DISCLOSE),
    ), tuple(Choice(casework.open_case(r.code), actions.ViewCase(r.id).encode())
             for r in visible[:10])
       + tuple(Choice(attestations.open_attestation(p.name, a.period),
                      actions.ViewDisclosure(a.id).encode())
               for a, p in disclosed))


def db_my_reports(session: Session, core: Core, person: Person) -> Document:
    """A named reporter's cases, each opening its status (questions and answers) privately."""
    cases = db_reports_of(session, core, person)
    listing = ("\n".join(casework.case_and_status(r.code, r.status.label) for r in cases)
               or following.NO_NAMED_REPORTS)
    return Document(following.MY_REPORTS_TITLE, ((following.MY_REPORTS_HEADING, listing),),
                    tuple(Choice(casework.open_case(r.code),
                                 actions.Cmd("ethics", f"status {r.code}").encode())
                          for r in cases[-10:]))
