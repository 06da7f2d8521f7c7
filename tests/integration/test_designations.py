"""Issue 22's designations, on SQLite and PostgreSQL: a member designates an adviser on a case; the
adviser opens it, asks the reporter, (with *determine*) records the determination, and nothing
else; the designation ends by a member, by its date, by the case closing or by an exclusion; what
is told is content-free, and why is sealed."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import select

from bot import retention
from bot.core import CandorError
from bot.messages import Form, FormErrors, Notice
from bot.sweep import Sweeper
from storage.crypto import ShreddedError
from storage.models import AuditEvent, Designation, Determination, OutboxMessage, Report
from tests.integration.test_administration import valid_determination
from tests.integration.test_service import CANARY, code_in, dm_report, secret_in
from tests.support.designees import ADVISER, OTHER_ADVISER, add_designee
from tests.support.world import World, build_world, choice_values, text_of


@pytest.fixture
def world(database, vault) -> World:
    world = build_world(database, vault)
    for key, (name, email, affiliation) in (("adviser", ADVISER), ("other", OTHER_ADVISER)):
        world.people[key] = add_designee(database, vault, name=name, email=email,
                                         affiliation=affiliation)
    return world


def a_case(world: World, *, anonymous: bool = True, exclude: str | None = None) -> tuple[Report, str, str]:
    receipt = dm_report(world, "controller", anonymous=anonymous, exclude=exclude)
    with world.db.read() as session:
        report = session.exec(select(Report).where(Report.code == code_in(receipt))).one()
    world.click("chair", f"case:ack:{report.id}")
    return report, code_in(receipt), (secret_in(receipt) if anonymous else "")


def designate(world: World, report: Report, *, who: str = "adviser", by: str = "member",
              scope: str = "investigate", until: str | None = None, why: str = "") -> list:
    form = world.click(by, f"case:designate:{report.id}")
    assert isinstance(form[0], Form), text_of(form)
    values = {"person": str(world.people[who].id), "scope": scope,
              "until": until or (world.core.today() + timedelta(days=90)).isoformat(),
              "why": why or f"{CANARY}-why counsel to interview the controller"}
    return world.submit(by, form[0].form_id, values)


def designations(world: World) -> list[Designation]:
    with world.db.read() as session:
        return list(session.exec(select(Designation)).all())


def notices(world: World) -> list[tuple[OutboxMessage, dict]]:
    with world.db.read() as session:
        return [(row, world.core.vault.unseal(session, kind="outbox", record_id=row.id, blob=row.body))
                for row in session.exec(select(OutboxMessage)).all()]


def audited(world: World, action: str) -> list[AuditEvent]:
    with world.db.read() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_a_member_designates_an_adviser_the_channel_and_the_adviser_are_told_without_content(world):
    report, code, _ = a_case(world)
    # The form offers the roster's designees, with their organisation, and defaults to 90 days
    form = world.click("member", f"case:designate:{report.id}")[0]
    assert isinstance(form, Form)
    person = next(f for f in form.fields if f.name == "person")
    assert [o.label for o in person.options] == ["Casey Moss (forensic accountant)",
                                                 "Robin Vale (outside counsel)"]
    until = next(f for f in form.fields if f.name == "until")
    assert until.initial == (world.core.today() + timedelta(days=90)).isoformat()

    replies = designate(world, report, until="2027-01-31")
    assert "Robin Vale is designated on case" in text_of(replies)

    [row] = designations(world)
    assert row.person_id == world.people["adviser"].id and row.scope == "investigate"
    assert CANARY.encode() not in row.body
    with world.db.read() as session:
        assert world.core.vault.unseal(session, kind="designation", record_id=row.id,
                                       blob=row.body)["why"].startswith(f"{CANARY}-why")
    sent = [d for r, d in notices(world) if r.key.startswith(f"designation:{row.id}:added")]
    channel = [Notice.from_json(d["notice"]) for d in sent if d["target"] == "channel"]
    direct = [Notice.from_json(d["notice"]) for d in sent if d["target"] != "channel"]
    assert [n.title for n in channel] == [
        f"Case {code}: Alex Kim designated an investigator (outside counsel) until 2027-01-31"]
    assert [n.title for n in direct] == [f"The Audit Committee designated you on case {code}"]
    assert [c.value for c in direct[0].choices] == [f"case:view:{report.id}"]
    assert all(CANARY not in repr(d) for d in sent)
    assert [e.detail for e in audited(world, "designation.added")][0].count(row.id) == 1


def test_the_adviser_opens_the_case_asks_the_anonymous_reporter_and_reads_the_answer(world):
    report, code, secret = a_case(world)
    designate(world, report)

    # The adviser's home and case list show the designated case only
    assert code in text_of(world.command("adviser", "ethics", "cases"))
    home = world.service.home(world.actor("adviser"))
    assert code in text_of(home) and "Annual attestation" not in text_of(home)

    opened = world.command("adviser", "ethics", f"open {code}")
    assert f"{CANARY}-what" in text_of(opened)  # the narrative, in the private view
    # an investigator asks and adds notes (no file buttons: CANDOR_PUBLIC_URL is unset here)
    assert set(choice_values(opened)) == {f"case:ask:{report.id}", f"case:note:{report.id}"}
    assert [e.actor for e in audited(world, "case.opened")][-1] == f"person:{world.people['adviser'].id}"

    form = world.click("adviser", f"case:ask:{report.id}")[0]
    world.submit("adviser", form.form_id, {"question": f"{CANARY}-q Who approved the entries?"})

    # The reporter reads it as the investigator's question, with code and secret
    status = world.command("controller", "ethics", f"status {code} {secret}")
    assert "The Audit Committee's investigator asks" in text_of(status)
    assert "Robin" not in text_of(status)
    token = [v for v in choice_values(status) if v.startswith("answer:")][0]
    answer_form = world.click("controller", token)[0]
    world.submit("controller", answer_form.form_id, {"answer": f"{CANARY}-a the CFO did"})

    # The adviser and the members read the answer; the adviser is told there is news, no content
    assert f"{CANARY}-a the CFO did" in text_of(world.click("adviser", f"case:view:{report.id}"))
    assert f"{CANARY}-a the CFO did" in text_of(world.click("member", f"case:view:{report.id}"))
    news = [Notice.from_json(d["notice"]) for r, d in notices(world) if ":answer:" in r.key]
    assert [n.title for n in news] == [f"There is news on case {code}"]
    assert all(CANARY not in repr(n) for n in news)


def test_the_adviser_can_do_nothing_else(world):
    report, code, _ = a_case(world)
    other, other_code, _ = a_case(world)
    designate(world, report)
    before = len(audited(world, "case.refused"))
    for value in (f"case:ack:{report.id}", f"case:move:{report.id}:closed", f"case:exclude:{report.id}",
                  f"case:hold:{report.id}", f"case:designate:{report.id}", f"case:determine:{report.id}",
                  f"case:view:{other.id}", f"case:ask:{other.id}"):
        assert "members of the Audit Committee" in text_of(world.click("adviser", value)), value
    # Every refused case click is audited as an outsider's
    assert len(audited(world, "case.refused")) == before + 8
    assert "members of the Audit Committee" in text_of(world.command("adviser", "ethics", f"open {other_code}"))
    assert "members of the Audit Committee" in text_of(world.command("adviser", "ethics", "open ZZZZ-ZZZZ"))
    for args in ("waivers", "waiver", "report", "status"):
        assert "officers and the Audit Committee" in text_of(world.command("adviser", "ethics", args)), args
    assert "officers and the Audit Committee" in text_of(world.command("adviser", "attest"))
    assert "officers and the Audit Committee" in text_of(world.click("adviser", "attest:report"))
    # A forged value changes nothing; another case is not listed
    assert other_code not in text_of(world.command("adviser", "ethics", "cases"))
    # A designee not designated sees nothing at all
    assert "not designated on any case" in text_of(world.command("other", "ethics", "cases"))
    assert "members of the Audit Committee" in text_of(world.click("other", f"case:view:{report.id}"))


def test_refusals_beyond_a_year_in_the_past_not_in_the_group_and_kept_away(world):
    report, _code, _ = a_case(world, exclude="member2")
    today = world.core.today()
    form = world.click("member", f"case:designate:{report.id}")[0]
    base = {"person": str(world.people["adviser"].id), "scope": "investigate", "why": "counsel"}
    cases = [({"until": (today + timedelta(days=366)).isoformat()}, "until", "at most a year"),
             ({"until": (today - timedelta(days=1)).isoformat()}, "until", "in the past"),
             ({"until": "soon"}, "until", "YYYY-MM-DD"),
             ({"person": str(world.people["cfo"].id)}, "person", "designees"),
             ({"person": "999999"}, "person", "designees"),
             ({"scope": "everything"}, "scope", "didn't understand")]
    for change, field, words in cases:
        values = {**base, "until": today.isoformat(), **change}
        replies = world.submit("member", form.form_id, values)
        assert isinstance(replies[0], FormErrors), change
        assert words.lower() in replies[0].errors[field].lower(), (change, replies[0].errors)
    assert designations(world) == []
    assert len(audited(world, "designation.refused")) == 2  # the people not in the group


def test_someone_the_reporter_kept_away_cannot_be_designated(world):
    # The report form's keep-away list offers the designees too
    form = world.command("controller", "ethics", "report")[0]
    keep = next(f for f in form.fields if f.name == "exclude")
    assert "Robin Vale (outside counsel, may be designated)" in [o.label for o in keep.options]
    report, _code, _ = a_case(world, exclude="adviser")
    form = world.click("member", f"case:designate:{report.id}")[0]
    person = next(f for f in form.fields if f.name == "person")
    assert [o.label for o in person.options] == ["Casey Moss (forensic accountant)"]
    replies = designate(world, report)  # a forged choice of the adviser
    assert "kept away" in replies[0].errors["person"]
    assert designations(world) == []
    assert [e for e in audited(world, "designation.refused") if "kept_away" in e.detail]
    # And the adviser cannot open it
    assert "members of the Audit Committee" in text_of(world.click("adviser", f"case:view:{report.id}"))


def test_the_chair_keeping_a_designee_away_ends_the_designation(world):
    report, code, _ = a_case(world)
    designate(world, report)
    form = world.click("chair", f"case:exclude:{report.id}")[0]
    option = next(o for o in form.fields[0].options if o.label == "Robin Vale")
    world.submit("chair", form.form_id, {"member": option.value})
    [row] = designations(world)
    assert row.ended_at is not None and row.live is None
    # Why it ended is sealed, as the exclusion is: the plain row, the audit and the channel say
    # only that it ended, never that the person was kept away
    assert row.end_reason == "ended"
    with world.db.read() as session:
        assert world.core.vault.unseal(session, kind="designation", record_id=row.id, blob=row.body)["kept_away"]
    assert not [e for e in audited(world, "designation.ended") if "excluded" in str(e.detail)]
    channel = [Notice.from_json(d["notice"]) for r, d in notices(world) if d["target"] == "channel"]
    assert channel and not [n for n in channel if "kept away" in repr(n).lower()]
    assert "members of the Audit Committee" in text_of(world.click("adviser", f"case:view:{report.id}"))
    ended = [Notice.from_json(d["notice"]) for r, d in notices(world) if r.key.endswith(":ended:dm@console")
             and d["target"] != "channel"]
    assert [n.title for n in ended] == [f"Your designation on case {code} has ended"]


@pytest.mark.parametrize("how", ["member", "expiry", "close"])
def test_after_the_designation_ends_nothing_opens(world, how):
    report, code, _ = a_case(world)
    designate(world, report, until=(world.core.today() + timedelta(days=10)).isoformat())
    [row] = designations(world)
    assert code in text_of(world.click("adviser", f"case:view:{report.id}"))
    if how == "member":
        form = world.click("member", f"designation:end:{row.id}")[0]
        assert "ended" in text_of(world.submit("member", form.form_id, {"why": "work done"}))
    elif how == "expiry":
        world.clock.advance(days=11)
        Sweeper(world.db, world.core, world.core.schedule).run(world.clock.moment)
    else:
        form = world.click("chair", f"case:move:{report.id}:closed")[0]
        world.submit("chair", form.form_id, {"reason": "resolved"})
    [row] = designations(world)
    assert row.ended_at is not None
    assert row.end_reason == {"member": "ended", "expiry": "expired", "close": "case_closed"}[how]
    assert "members of the Audit Committee" in text_of(world.click("adviser", f"case:view:{report.id}"))
    assert "not designated on any case" in text_of(world.command("adviser", "ethics", "cases"))
    assert [e for e in audited(world, "designation.ended") if row.id in e.detail]


def test_renewal_moves_the_date_within_a_year(world):
    report, _code, _ = a_case(world)
    designate(world, report, until=(world.core.today() + timedelta(days=5)).isoformat())
    [row] = designations(world)
    form = world.click("member", f"designation:renew:{row.id}")[0]
    too_far = world.submit("member", form.form_id, {"until": (world.core.today() + timedelta(days=400)).isoformat(),
                                                    "why": "more"})
    assert "at most a year" in too_far[0].errors["until"]
    later = (world.core.today() + timedelta(days=200)).isoformat()
    assert "now holds until" in text_of(world.submit("member", form.form_id, {"until": later, "why": "more"}))
    [row] = designations(world)
    assert row.until.isoformat() == later
    assert audited(world, "designation.renewed")


def test_a_designee_to_determine_records_the_determination_under_the_designation(world):
    report, _code, _ = a_case(world)
    # An earlier determination, on another case, that the adviser is not designated on
    earlier, _, _ = a_case(world)
    earlier_form = world.click("member", f"case:determine:{earlier.id}")[0]
    world.submit("member", earlier_form.form_id, valid_determination(world, decided_on="2026-10-01"))
    assert "2026-10-01" in str(world.click("member", f"case:determine:{report.id}")[0])
    designate(world, report, who="other", scope="investigate")
    designate(world, report, who="adviser", scope="determine")
    # Only the designee to determine is offered (and let through to) the determination
    assert "members of the Audit Committee" in text_of(world.click("other", f"case:determine:{report.id}"))
    form = world.click("adviser", f"case:determine:{report.id}")[0]
    assert isinstance(form, Form)
    # The form lists no determination of a case the adviser is not designated on
    assert "2026-10-01" not in str(form)
    world.submit("adviser", form.form_id, valid_determination(world))
    with world.db.read() as session:
        [row] = session.exec(select(Determination).where(Determination.report_id == report.id)).all()
        assert row.decided_by == world.people["adviser"].id
    details = text_of(world.click("member", f"case:view:{report.id}"))
    assert "by Robin Vale (outside counsel), designated by the Audit Committee on" in details
    assert "to investigate and determine" in details


def test_two_members_designating_the_same_person_at_once_make_one_designation(world):
    report, _code, _ = a_case(world)
    forms = {who: world.click(who, f"case:designate:{report.id}")[0] for who in ("member", "chair")}
    values = {"person": str(world.people["adviser"].id), "scope": "investigate",
              "until": (world.core.today() + timedelta(days=30)).isoformat(), "why": "counsel"}
    start = threading.Barrier(2)

    def submit(who: str) -> str:
        start.wait()
        return text_of(world.submit(who, forms[who].form_id, values))

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(submit, ("member", "chair")))
    assert len(designations(world)) == 1
    assert sorted("already designated" in a for a in answers) == [False, True], answers
    assert len(audited(world, "designation.added")) == 1


def test_retention_shreds_the_designation_with_the_case_and_a_hold_keeps_it(world):
    report, _code, _ = a_case(world)
    designate(world, report)
    form = world.click("chair", f"case:move:{report.id}:closed")[0]
    world.submit("chair", form.form_id, {"reason": "resolved"})
    [row] = designations(world)
    with world.db.write() as session:
        case = session.get(Report, report.id)
        retention.db_set_hold(session, world.core, case, hold=True, reason="litigation", actor="cli")
    with world.db.write() as session, pytest.raises(CandorError):
        retention.db_shred(session, world.core, session.get(Report, report.id))
    with world.db.read() as session:
        assert world.core.vault.unseal(session, kind="designation", record_id=row.id, blob=row.body)
    with world.db.write() as session:
        case = session.get(Report, report.id)
        retention.db_set_hold(session, world.core, case, hold=False, reason="settled", actor="cli")
        retention.db_shred(session, world.core, session.get(Report, report.id))
    with world.db.read() as session, pytest.raises(ShreddedError):
        world.core.vault.unseal(session, kind="designation", record_id=row.id, blob=row.body)
    with world.db.read() as session:
        assert not session.exec(select(OutboxMessage).where(
            OutboxMessage.key.startswith(f"designation:{row.id}"))).all()


def test_the_adviser_adds_a_recommendation_the_members_read_and_loses_it_when_the_designation_ends(world):
    report, _, _ = a_case(world)
    designate(world, report)

    # The adviser adds a note marked a recommendation, from their own case view
    form = world.click("adviser", f"case:note:{report.id}")[0]
    assert isinstance(form, Form), text_of([form])
    world.submit("adviser", form.form_id, {"note": f"{CANARY}-rec Refer the side letters to the Board",
                                           "recommendation": "yes"})

    # The members read it with its author, and as the latest recommendation
    member_view = text_of(world.click("member", f"case:view:{report.id}"))
    assert f"{CANARY}-rec Refer the side letters" in member_view
    assert "Robin" in member_view and "recommendation" in member_view.lower()
    assert [e.actor for e in audited(world, "case.note_added")] == [f"person:{world.people['adviser'].id}"]

    # When a member ends the designation, the adviser can add no note any more (audited refusal)
    [row] = designations(world)
    end = world.click("member", f"designation:end:{row.id}")[0]
    world.submit("member", end.form_id, {"why": "done"})
    refused = len(audited(world, "case.refused"))
    assert "members of the Audit Committee" in text_of(world.click("adviser", f"case:note:{report.id}"))
    assert len(audited(world, "case.refused")) == refused + 1


def test_a_designees_cases_are_those_in_force_oldest_first(world):
    # Given three cases the adviser is designated on, the second only for five days
    cases = [a_case(world) for _ in range(3)]
    for i, (report, _code, _) in enumerate(cases):
        designate(world, report, until=(world.core.today() + timedelta(days=5 if i == 1 else 90)).isoformat())
    # When six days pass, before any sweep has ended the short designation
    world.clock.advance(days=6)
    listed = text_of(world.command("adviser", "ethics", "cases"))
    # Then the two in force are listed, the oldest first, and not the one past its last day
    first, second, third = (code for _, code, _ in cases)
    assert first in listed and third in listed and listed.index(first) < listed.index(third)
    assert second not in listed
