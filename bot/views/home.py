"""The homes (the App Home, the personal tab) and the menu a stray message gets back.

Lives here: `menu` (the choices for a message that is no command), `db_my_reports` (a named
reporter's cases), `db_officer_home` (the officer's attestation and named reports) and
`db_committee_home` (open cases, overdue items, the attestation roll, disclosures, waivers).
Dates are the company's (`Core.today`).
May touch: reads only, through the caller's session and the vault (names, the reports of a
named reporter); it checks who is kept away from what (`bot.visibility`, the exclusions) and
writes nothing, not even an audit row. `bot.service` decides who gets which home.
"""

from __future__ import annotations

from sqlmodel import Session

from bot import actions, attestation, disclosures, visibility, waivers
from bot.access import db_officers, db_open_cases
from bot.attesting import db_attested_periods, db_last_attestation, db_owed
from bot.core import Core, db_exclusions
from bot.messages import Choice, Choices, Document
from bot.reports import db_reports_of
from bot.wording import attestations, following, menus
from storage.models import Person
from storage.vocabulary import CaseStatus, PersonKind

_HELP = Choice("Help", actions.Menu("help").encode())


def menu(person: Person) -> Choices:
    choices = [Choice("Report a concern", actions.Menu("report").encode()),
               Choice("Check a case", actions.Menu("status").encode())]
    if person.kind is PersonKind.OFFICER:
        choices.insert(1, Choice("Annual attestation", actions.Menu("attest").encode()))
        return Choices(menus.menu_officer(), tuple(choices + [_HELP]))
    choices.insert(0, Choice("Open cases", actions.Menu("cases").encode()))
    return Choices(menus.menu_committee(), tuple(choices + [_HELP]))


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
    return Document("Candor", tuple(sections),
                    (Choice("Report a concern", actions.Menu("report").encode()),
                     Choice("Annual attestation", actions.Menu("attest").encode())))


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
    periods = db_attested_periods(session)
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
