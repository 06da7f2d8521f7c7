"""Issue 24's last rule, on SQLite and PostgreSQL: "Designees do not see the name unless a member
reveals it to them as part of a designation (audited, reporter told)."

A confidential report by Dana Reyes ("cfo"); Robin Vale ("adviser", outside counsel) designated to
investigate and determine, Casey Moss ("other") to investigate. The name shown to the committee
stays hidden from both; a member shows it to Robin with a reason; Robin then reads it, Casey does
not; it is audited and Dana is told, her view naming who learned it. Every refusal is audited and
changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot import confidential
from bot.messages import Form, FormErrors
from storage.models import AuditEvent, Designation, OutboxMessage, Report
from tests.integration.test_administration import valid_determination
from tests.integration.test_confidential import confidential_report
from tests.integration.test_reveal import ask, the_request, vote
from tests.support.designees import ADVISER, OTHER_ADVISER, add_designee
from tests.support.world import World, build_world, choice_values, text_of

REASON = "CANARY-d3s1g counsel must interview the reporter before the controller"
TRACES = ("Dana", "dana@example.com")


@pytest.fixture
def world(database, vault) -> World:
    world = build_world(database, vault)
    for key, (name, email, affiliation) in (("adviser", ADVISER), ("other", OTHER_ADVISER)):
        world.people[key] = add_designee(database, vault, name=name, email=email,
                                         affiliation=affiliation)
    return world


def the_report(world: World) -> Report:
    with world.db.read() as session:
        return session.exec(select(Report)).one()


def designate(world: World, report: Report, who: str, scope: str) -> Designation:
    form = world.click("member", f"case:designate:{report.id}")[0]
    assert isinstance(form, Form), text_of([form])
    world.submit("member", form.form_id, {
        "person": str(world.people[who].id), "scope": scope,
        "until": (world.core.today() + timedelta(days=90)).isoformat(), "why": "counsel"})
    with world.db.read() as session:
        return session.exec(select(Designation).where(
            Designation.person_id == world.people[who].id,
            Designation.ended_at == None)).one()  # noqa: E711


def audited(world: World, action: str) -> list[AuditEvent]:
    with world.db.read() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)
                                 .order_by(AuditEvent.seq)).all())  # type: ignore[arg-type]


def reveals(world: World, report: Report) -> list[confidential.Reveal]:
    with world.db.read() as session:
        row = session.get(Report, report.id)
        assert row is not None
        sealed = confidential.db_sealed(session, world.core, row)
        assert sealed is not None
        return list(sealed.reveals)


def no_trace(text: str) -> None:
    for trace in TRACES:
        assert trace not in text


def everything_the_designee_reads(world: World, who: str, report: Report) -> str:
    """The case view (headings of its messages, its files' "added by" included) and, for a
    designee to determine, the Board's determination form."""
    read = text_of(world.click(who, f"case:view:{report.id}"))
    read += text_of(world.command(who, "ethics", f"open {report.code}"))
    read += text_of(world.command(who, "ethics", "cases"))
    determine = world.click(who, f"case:determine:{report.id}")
    if isinstance(determine[0], Form):  # its officer list is the roster's, the same for every case
        form = determine[0]
        return read + "\n".join([form.title, form.intro or "", *(f.label for f in form.fields),
                                  *(f.initial or "" for f in form.fields)])
    return read + text_of(determine)


@pytest.fixture
def case(world: World) -> tuple[Report, Designation, Designation]:
    confidential_report(world)
    report = the_report(world)
    world.click("chair", f"case:ack:{report.id}")
    adviser = designate(world, report, "adviser", "determine")
    other = designate(world, report, "other", "investigate")
    # a question and the reporter's answer: the messages' headings
    world.submit("adviser", f"ask:{report.id}", {"question": "Which quarter?"})
    [answer] = [v for v in choice_values(world.command("cfo", "ethics", f"status {report.code}"))
                if v.startswith("answer:")]
    form = world.click("cfo", answer)[0]
    assert isinstance(form, Form)
    world.submit("cfo", form.form_id, {"answer": "The third"})
    return report, adviser, other


def show_to_committee(world: World, report: Report) -> None:
    """Dana shows her name to the committee herself."""
    assert "now shown" in text_of(world.submit("cfo", f"myname-show:{report.id}",
                                                {"confirm": "yes"}))


def test_a_name_shown_to_the_committee_is_not_shown_to_the_designees(world, case):
    report, adviser, _other = case
    before = everything_the_designee_reads(world, "adviser", report)
    assert "Confidential reporter" in before and "The third" in before and "Which quarter" in before
    no_trace(before)
    # When the name is shown to the committee (by the reporter; a quorum shows it the same way)
    show_to_committee(world, report)
    assert "Dana Reyes" in text_of(world.click("member", f"case:view:{report.id}"))
    # Then the designees still read "Confidential reporter", nowhere the name
    for who in ("adviser", "other"):
        after = everything_the_designee_reads(world, who, report)
        assert "Confidential reporter" in after
        no_trace(after)
    # And a designee is offered no way to show it
    assert not [v for v in choice_values(world.click("adviser", f"case:view:{report.id}"))
                if "revealto" in v]


def test_a_member_shows_the_name_to_one_designee_audited_and_the_reporter_told(world, case):
    report, adviser, other = case
    member_view = world.click("member", f"case:view:{report.id}")
    assert f"case:revealto:{report.id}:{adviser.id}" not in choice_values(member_view)
    show_to_committee(world, report)
    # Given the name shown to the committee, a member is offered a button per designee
    member_view = world.click("member", f"case:view:{report.id}")
    assert "Show the reporter's name to Robin Vale" in text_of(member_view)
    assert f"case:revealto:{report.id}:{adviser.id}" in choice_values(member_view)
    assert f"case:revealto:{report.id}:{other.id}" in choice_values(member_view)
    form = world.click("member", f"case:revealto:{report.id}:{adviser.id}")[0]
    assert isinstance(form, Form) and "Robin Vale (outside counsel)" in (form.intro or "")
    # The reason is required
    empty = world.submit("member", form.form_id, {"reason": "  "})
    assert isinstance(empty[0], FormErrors) and "reason" in empty[0].errors
    assert len(reveals(world, report)) == 1
    # When the member gives it
    done = text_of(world.submit("member", form.form_id, {"reason": REASON}))
    assert "now shown to Robin Vale" in done
    # Then Robin reads the name, and how it came to be shown; Casey does not
    adviser_reads = text_of(world.click("adviser", f"case:view:{report.id}"))
    assert "Dana Reyes" in adviser_reads and "as part of a designation" in adviser_reads
    no_trace(everything_the_designee_reads(world, "other", report))
    # The button for Robin is gone; the members read to whom and by whom
    member_view = world.click("member", f"case:view:{report.id}")
    assert f"case:revealto:{report.id}:{adviser.id}" not in choice_values(member_view)
    assert "Robin Vale, on" in text_of(member_view) and "by Alex Kim" in text_of(member_view)
    # Audited: who, to whom; never the reason
    shown = audited(world, "reporter.revealed")[-1]
    assert shown.actor == f"person:{world.people['member'].id}"
    assert f'"shown_to":"person:{world.people["adviser"].id}"' in shown.detail
    assert '"how":"designation"' in shown.detail and "CANARY" not in shown.detail
    # The reporter is told, content-free, and her private view says who learned it and why
    with world.db.read() as session:
        told = [m for m in session.exec(select(OutboxMessage)).all()
                if m.key.startswith(f"reporter:revealed:{report.id}:2")]
        assert told and all(b"CANARY" not in m.body for m in told)
    own = text_of(world.command("cfo", "ethics", f"status {report.code}"))
    assert "to Robin Vale (outside counsel)" in own and "counsel must interview" in own
    # Showing it again changes nothing
    again = text_of(world.submit("member", form.form_id, {"reason": REASON}))
    assert "already shown to Robin Vale" in again and len(reveals(world, report)) == 2


def test_refusals_are_audited_and_change_nothing(world, case):
    report, adviser, other = case
    value = f"case:revealto:{report.id}:{adviser.id}"
    form_id = f"revealto:{report.id}:{adviser.id}"
    # Before the name is shown to the committee
    refused = world.submit("member", form_id, {"reason": REASON})
    assert "not shown to the committee" in text_of(refused)
    assert "not shown to the committee" in text_of(world.click("member", value))
    assert [e for e in audited(world, "reveal.refused") if "designee-not-shown" in e.detail]
    show_to_committee(world, report)
    # A designee (Robin herself, or Casey), an officer, a member kept away from the case
    form = world.click("chair", f"case:exclude:{report.id}")[0]
    option = next(o for o in form.fields[0].options if o.label == "Jordan Blake")
    world.submit("chair", form.form_id, {"member": option.value})
    refused_before = len(audited(world, "case.refused"))
    for who in ("adviser", "other", "controller", "member2"):
        assert "Robin" not in text_of(world.click(who, value)), who
        answer = text_of(world.submit(who, form_id, {"reason": REASON}))
        assert "now shown" not in answer, who
    assert len(audited(world, "case.refused")) >= refused_before + 6
    # Forged values: another case's designation, a designation that does not exist, none
    for forged in (f"revealto:{report.id}:nope", f"revealto:{report.id}:{report.id}"):
        assert "not designated on this case" in text_of(
            world.submit("member", forged, {"reason": REASON}))
    assert "not designated on this case" in text_of(
        world.click("member", f"case:revealto:{report.id}:nope"))
    assert "understand" in text_of(world.click("member", f"case:revealto:{report.id}")).lower()
    assert [e for e in audited(world, "reveal.refused") if "designee-not-designated" in e.detail]
    assert len(reveals(world, report)) == 1
    for who in ("adviser", "other"):
        no_trace(everything_the_designee_reads(world, who, report))


def test_a_designation_that_ends_takes_the_name_with_it(world, case):
    report, adviser, _other = case
    show_to_committee(world, report)
    world.submit("member", f"revealto:{report.id}:{adviser.id}", {"reason": REASON})
    assert "Dana Reyes" in text_of(world.click("adviser", f"case:view:{report.id}"))
    form = world.click("member", f"designation:end:{adviser.id}")[0]
    world.submit("member", form.form_id, {"why": "work done"})
    gone = text_of(world.click("adviser", f"case:view:{report.id}"))
    assert "members of the Audit Committee" in gone
    no_trace(gone)
    # A designation ended is not one the name may be shown under
    refused = world.submit("member", f"revealto:{report.id}:{adviser.id}", {"reason": REASON})
    assert "not designated on this case" in text_of(refused)
    # Designated again, Robin starts sealed: the earlier showing was under the ended designation
    world.clock.advance(days=1)
    again = designate(world, report, "adviser", "investigate")
    sealed_again = text_of(world.click("adviser", f"case:view:{report.id}"))
    assert "Confidential reporter" in sealed_again
    no_trace(sealed_again)
    value = f"case:revealto:{report.id}:{again.id}"
    assert value in choice_values(world.click("member", f"case:view:{report.id}"))
    world.submit("member", f"revealto:{report.id}:{again.id}", {"reason": REASON})
    assert "Dana Reyes" in text_of(world.click("adviser", f"case:view:{report.id}"))
    assert len(reveals(world, report)) == 3


def test_a_designee_to_determine_records_it_without_learning_the_name(world, case):
    report, _adviser, _other = case
    show_to_committee(world, report)
    form = world.click("adviser", f"case:determine:{report.id}")[0]
    assert isinstance(form, Form)
    assert "dana@example.com" not in repr(form)
    world.submit("adviser", form.form_id, valid_determination(world))
    no_trace(everything_the_designee_reads(world, "adviser", report))


def test_a_quorum_shows_the_name_to_the_members_not_to_the_designees(world, case):
    report, adviser, _other = case
    ask(world, "member", report)
    assert "quorum is reached" in text_of(vote(world, "member2", the_request(world), "agree"))
    assert "Dana Reyes" in text_of(world.click("chair", f"case:view:{report.id}"))
    for who in ("adviser", "other"):
        no_trace(everything_the_designee_reads(world, who, report))
    assert f"case:revealto:{report.id}:{adviser.id}" in choice_values(
        world.click("chair", f"case:view:{report.id}"))
