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

from sqlmodel import Session, select

from bot import actions, attestation, disclosures, visibility, waivers
from bot.access import db_officers, db_open_cases
from bot.attesting import db_last_attestation, db_owed
from bot.core import Core, db_exclusions, is_committee
from bot.messages import CASE_CHECK, Choice, Choices, Document
from bot.reports import db_reports_of
from bot.wording import attestations, following, menus
from storage.models import Attestation, Person
from storage.vocabulary import CaseStatus, PersonKind

_HELP = Choice(menus.help_choice(), actions.Menu("help").encode())
# The choices that lead to a window name what it shows (`Choice.window`): where a button opens a
# window at once, reaching the report form, the attestation or the case check writes nothing into
# the chat, neither a typed word nor a card in answer, so the chat's history does not date the
# visit. (The offer after an attestation stays a click in the chat: it first says what a report
# made then risks.)
_REPORT = Choice(menus.report_choice(), actions.Menu("report").encode(),
                 window=actions.Cmd("ethics", "report").encode())
_STATUS = Choice(menus.status_choice(), actions.Menu("status").encode(), window=CASE_CHECK)
_ATTEST = Choice(menus.attest_choice(), actions.Menu("attest").encode(),
                 window=actions.Cmd("attest").encode())


def menu(person: Person) -> Choices:
    choices = [_REPORT, _STATUS]
    if person.kind is PersonKind.OFFICER:
        choices.insert(1, _ATTEST)
        return Choices(menus.menu_officer(), tuple(choices + [_HELP]))
    choices.insert(0, Choice(menus.cases_choice(), actions.Menu("cases").encode()))
    return Choices(menus.menu_committee(), tuple(choices + [_HELP]))


def db_home(session: Session, core: Core, person: Person) -> Document:
    """The home `person` gets: the committee's, or an officer's."""
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
        status = attestations.attest_home_unscheduled()
    sections = [("Annual attestation", status)]
    cases = db_reports_of(session, core, person)
    sections.append(("Your named reports", "\n".join(
        f"{r.code}: {r.status.label} (received {r.received_at:%Y-%m-%d})" for r in cases
    ) or "None. Anonymous reports are not listed: use their code and secret."))
    return Document("Candor", tuple(sections), (_REPORT, _ATTEST))


def db_committee_home(session: Session, core: Core, person: Person) -> Document:
    today = core.today()
    reports = db_open_cases(session)
    excluded = db_exclusions(session, core, [r.id for r in reports])
    visible = [r for r in reports if person.id not in excluded.get(r.id, set())]
    open_lines = [f"{r.code}: {r.status.label}, {r.category.label}" for r in visible]
    overdue = [f"{r.code}: not acknowledged (due {core.acknowledge_by(r)})"
               for r in visible
               if r.status is CaseStatus.RECEIVED and core.acknowledge_by(r) < today]
    overdue += [f"{r.code}: no feedback to the reporter (due {core.feedback_due(r)})"
                for r in visible if r.last_feedback_at is None and core.feedback_due(r) < today]
    officers = db_officers(session)
    periods: dict[int | None, set[str]] = {}
    for person_id, period in session.exec(select(Attestation.person_id,
                                                 Attestation.period)).all():
        periods.setdefault(person_id, set()).add(period)
    roll = []
    for officer in officers:
        owed = attestation.owed(officer.attestation_due, periods.get(officer.id, set()), today)
        if not owed.is_open(today):
            roll.append(f"{officer.name}: attested for {int(owed.period) - 1}; "
                        f"next due {owed.due}")
        elif owed.scheduled and owed.due < today:
            roll.append(f"{officer.name}: OVERDUE since {owed.due} (for {owed.period})")
        else:
            roll.append(f"{officer.name}: due {owed.due if owed.scheduled else 'not scheduled'}")
    kept = visibility.db_kept_away(session, core, person)
    undisclosed = [f"{p.name}: {w.provision} (disclose by {w.disclosure_due})"
                   for w, p in waivers.db_waivers(session)
                   if w.disclosed_on is None and kept.shows_officer(w.person_id)]
    disclosed = disclosures.db_recent(session, limit=5, kept=kept)
    return Document("Audit Committee", (
        ("Open cases", "\n".join(open_lines) or "None."),
        ("Overdue", "\n".join(overdue) or "Nothing is overdue."),
        ("Attestation roll", "\n".join(roll) or "No officers on the roster."),
        ("Disclosed at attestation", "\n".join(
            f"{p.name}: {a.period}, {a.attested_at:%Y-%m-%d}" for a, p in disclosed) or "None."),
        ("Waivers to disclose",
         "\n".join(undisclosed) or "None. /ethics waivers shows the register."),
    ), tuple(Choice(f"Open {r.code}", actions.ViewCase(r.id).encode()) for r in visible[:10])
       + tuple(Choice(f"Attestation: {p.name} {a.period}", actions.ViewDisclosure(a.id).encode())
               for a, p in disclosed))


def db_my_reports(session: Session, core: Core, person: Person) -> Document:
    """A named reporter's cases, each opening its status (questions and answers) privately."""
    cases = db_reports_of(session, core, person)
    listing = ("\n".join(f"{r.code}: {r.status.label}" for r in cases)
               or following.no_named_reports())
    return Document(following.my_reports_title(), ((following.my_reports_heading(), listing),),
                    tuple(Choice(f"Open {r.code}",
                                 actions.Cmd("ethics", f"status {r.code}").encode())
                          for r in cases[-10:]))
