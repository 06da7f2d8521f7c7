"""Showing a confidential reporter's name by a quorum of the committee or by the reporter's consent
(issue 24), through the core on SQLite and PostgreSQL: who is asked, what is counted, what is
shown, what is audited and stored, the lapse after seven days, and retention.

The world's committee is the chair (Lee Park), Alex Kim ("member") and Jordan Blake ("member2");
the quorum is the default, 2.
"""

from __future__ import annotations

from sqlmodel import select

from bot import retention
from bot.delivery.outbox import people_of
from bot.messages import Form, FormErrors
from bot.sweep import Sweeper
from storage.models import (
    AuditEvent,
    DataKey,
    OutboxMessage,
    Person,
    Report,
    RevealRequest,
    RevealVote,
)
from storage.vocabulary import CaseStatus, RevealState
from tests.integration.test_confidential import confidential_report
from tests.support.world import World, build_world, choice_values, text_of

REASON = "CANARY-r3v3al the auditors need to interview the reporter"


def the_report(world: World) -> Report:
    with world.db.read() as session:
        return session.exec(select(Report)).one()


def ask(world: World, who: str, report: Report, *, path: str = "reveal", reason: str = REASON):
    """A member opens the case, picks the button, fills in the reason."""
    assert f"case:{path}:{report.id}" in choice_values(world.click(who, f"case:view:{report.id}"))
    form = world.click(who, f"case:{path}:{report.id}")
    assert isinstance(form[0], Form), text_of(form)
    return world.submit(who, form[0].form_id, {"reason": reason})


def the_request(world: World) -> RevealRequest:
    with world.db.read() as session:
        return session.exec(select(RevealRequest)).one()


def deliveries(world: World, prefix: str) -> list[dict]:
    opened = []
    with world.db.read() as session:
        for row in session.exec(select(OutboxMessage)).all():
            if row.key.startswith(prefix):
                opened.append(world.core.vault.unseal(session, kind="outbox", record_id=row.id,
                                                      blob=row.body))
    return opened


def actions_of(world: World) -> list[tuple[str, str, str]]:
    with world.db.read() as session:
        return [(e.actor, e.action, e.detail) for e in session.exec(
            select(AuditEvent).where(AuditEvent.action.startswith("reveal.")  # type: ignore[attr-defined]
                                     | (AuditEvent.action == "reporter.revealed"))
            .order_by(AuditEvent.seq)).all()]


def vote(world: World, who: str, request: RevealRequest, decision: str, reason: str = ""):
    form = world.click(who, f"reveal:open:{request.id}")
    assert isinstance(form[0], Form), text_of(form)
    return world.submit(who, form[0].form_id, {"decision": decision, "reason": reason})


def shown_to_committee(world: World, who: str, report: Report) -> str:
    return text_of(world.click(who, f"case:view:{report.id}"))


def person(world: World, key: str) -> str:
    return f"person:{world.people[key].id}"


def test_one_members_request_is_not_enough_and_a_second_members_agreement_reveals(database, vault):
    world = build_world(database, vault)
    confidential_report(world)
    report = the_report(world)

    # When one member asks, with a reason
    asked = text_of(ask(world, "member", report))
    assert "2 other members" in asked and "2 of you agree" in asked

    # Then the name is not shown: one member is never enough
    assert "Dana" not in shown_to_committee(world, "member", report)
    request = the_request(world)
    assert request.state == RevealState.OPEN and REASON.encode() not in request.body
    # The two other members allowed are asked by a direct message that names no case or reason
    [asked_dm] = deliveries(world, "reveal-ask:")
    assert set(people_of(asked_dm["target"]) or ()) == {world.people["chair"].id,
                                                         world.people["member2"].id}
    assert report.code not in str(asked_dm) and "CANARY" not in str(asked_dm)
    assert f"reveal:open:{request.id}" in str(asked_dm)
    # The member who asked counts once: their own vote is refused (and audited)
    assert "You made this request" in text_of(world.click("member", f"reveal:open:{request.id}"))
    own = world.submit("member", f"reveal-vote:{request.id}", {"decision": "agree"})
    assert "You made this request" in text_of(own)
    assert "Dana" not in shown_to_committee(world, "member", report)

    # When a second member opens the request (the reason is there) and agrees
    form = world.click("member2", f"reveal:open:{request.id}")
    assert isinstance(form[0], Form) and "the auditors need to interview" in (form[0].intro or "")
    agreed = text_of(world.submit("member2", form[0].form_id, {"decision": "agree"}))

    # Then the quorum is reached: the members allowed see the name, the reporter is told
    assert "quorum is reached" in agreed
    assert "Dana Reyes" in shown_to_committee(world, "chair", report)
    assert the_request(world).state == RevealState.REVEALED
    told = [d for d in deliveries(world, "reporter:revealed:")]
    assert told and "There is news" in str(told[0]) and "CANARY" not in str(told[0])
    # in their private view: when, how and why
    mine = text_of(world.command("cfo", "ethics", f"status {report.code}"))
    assert "the auditors need to interview" in mine and "Your name" in mine
    # A third member's answer comes too late to matter
    assert "Name shown" in text_of(world.click("chair", f"reveal:open:{request.id}"))

    # And everything is audited: who asked, who agreed, the reveal; never the reason
    trail = actions_of(world)
    assert (person(world, "member"), "reveal.requested") in [(a, b) for a, b, _ in trail]
    assert (person(world, "member"), "reveal.refused") in [(a, b) for a, b, _ in trail]
    assert (person(world, "member2"), "reveal.agreed") in [(a, b) for a, b, _ in trail]
    assert any(b == "reveal.closed" and '"outcome":"revealed"' in c for _, b, c in trail)
    assert any(b == "reporter.revealed" and '"how":"quorum"' in c for _, b, c in trail)
    assert "CANARY" not in str(trail)


def test_an_excluded_member_is_neither_asked_nor_counted_nor_shown(database, vault):
    world = build_world(database, vault)
    confidential_report(world)
    report = the_report(world)
    # Given the chair keeps Jordan (member2) away from the case
    form = world.click("chair", f"case:exclude:{report.id}")
    assert isinstance(form[0], Form)
    world.submit("chair", form[0].form_id, {"member": str(world.people["member2"].id)})

    # When Alex asks
    ask(world, "member", report)
    request = the_request(world)

    # Then Jordan is not asked
    [asked_dm] = deliveries(world, "reveal-ask:")
    assert people_of(asked_dm["target"]) == (world.people["chair"].id,)
    # and cannot open the request, vote, or see the case (each refusal audited)
    assert "can't open this case" in text_of(world.click("member2", f"reveal:open:{request.id}"))
    forged = world.submit("member2", f"reveal-vote:{request.id}", {"decision": "agree"})
    assert "can't open this case" in text_of(forged)
    with world.db.read() as session:
        assert session.exec(select(RevealVote)).all() == []
        refused = session.exec(select(AuditEvent).where(AuditEvent.action == "case.refused")).all()
    assert {e.actor for e in refused} == {person(world, "member2")}
    assert the_request(world).state == RevealState.OPEN

    # When the chair agrees: two of the two members allowed
    vote(world, "chair", request, "agree")
    assert "Dana Reyes" in shown_to_committee(world, "member", report)
    assert "Dana" not in shown_to_committee(world, "member2", report)


def test_declines_beyond_reach_close_the_request_and_each_is_recorded(database, vault):
    world = build_world(database, vault)
    world.core.schedule = type(world.core.schedule)(reveal_quorum=3)
    confidential_report(world)
    report = the_report(world)
    ask(world, "member", report)
    request = the_request(world)

    declined = vote(world, "chair", request, "decline", "CANARY-d3cl1ne not needed yet")
    assert "refusal" in text_of(declined)
    with world.db.read() as session:
        [row] = session.exec(select(RevealVote)).all()
    assert row.agree is False and b"CANARY" not in row.body
    assert the_request(world).state == RevealState.DECLINED  # 3 needed of 3, one declined
    assert "Dana" not in shown_to_committee(world, "member", report)
    view = shown_to_committee(world, "member", report)
    assert "Declined" in view and "Lee Park" in view
    assert "Declined on" in text_of(world.click("member2", f"reveal:open:{request.id}"))
    trail = actions_of(world)
    assert any(b == "reveal.declined" and '"reason_given":true' in c for _, b, c in trail)
    # the member who asked hears there is news, content-free
    [news] = deliveries(world, "reveal-decided:")
    assert report.code not in str(news) and "CANARY" not in str(news)


def test_a_lapsed_request_reveals_nothing(database, vault):
    world = build_world(database, vault)
    confidential_report(world)
    report = the_report(world)
    ask(world, "member", report)
    request = the_request(world)

    # When seven days pass without a second agreement, and the sweep runs
    world.clock.advance(days=7, minutes=1)
    Sweeper(world.db, world.core).run(world.clock())

    # Then the request lapsed, audited, and the one who asked is told without content
    assert the_request(world).state == RevealState.LAPSED
    assert any(b == "reveal.lapsed" for _, b, _c in actions_of(world))
    [news] = deliveries(world, "reveal-decided:")
    assert report.code not in str(news)
    # A late agreement changes nothing
    late = world.submit("member2", f"reveal-vote:{request.id}", {"decision": "agree"})
    assert "closed" in text_of(late).lower()
    assert "Dana" not in shown_to_committee(world, "chair", report)
    # A new request may be made
    assert "recorded" in text_of(ask(world, "member2", report))


def test_the_reporter_says_yes_or_no_to_a_consent_request(database, vault):
    world = build_world(database, vault)
    confidential_report(world)
    report = the_report(world)

    # When a member asks the reporter
    assert "The reporter is told" in text_of(ask(world, "member", report, path="consent"))
    request = the_request(world)
    # Then the reporter gets the content-free news, and reads the request privately
    assert any("There is news" in str(d) and report.code not in str(d)
               for d in deliveries(world, "reporter:consent:"))
    mine = world.command("cfo", "ethics", f"status {report.code}")
    assert "asks for your name" in text_of(mine) and "the auditors need to interview" in text_of(mine)
    assert "Alex" not in text_of(mine)  # never who asked
    assert f"reveal:consent:{request.id}:yes" in choice_values(mine)
    # Another officer cannot answer for them (audited)
    forged = world.click("controller", f"reveal:consent:{request.id}:yes")
    assert "logged" in text_of(forged)
    assert "Dana" not in shown_to_committee(world, "member", report)

    # When the reporter says no
    assert "stays sealed" in text_of(world.click("cfo", f"reveal:consent:{request.id}:no"))
    # Then nothing is shown, and the members allowed read the answer on the case
    view = shown_to_committee(world, "member2", report)
    assert "Dana" not in view and "The reporter's answer: Declined" in view
    assert the_request(world).decided_at == world.core.today_start()  # dated by its day

    # When asked again, and the reporter says yes
    ask(world, "chair", report, path="consent")
    with world.db.read() as session:
        again = session.exec(select(RevealRequest).where(
            RevealRequest.state == RevealState.OPEN)).one()
    assert "now shown" in text_of(world.click("cfo", f"reveal:consent:{again.id}:yes"))
    assert "Dana Reyes" in shown_to_committee(world, "member2", report)
    trail = [b for _a, b, _c in actions_of(world)]
    assert "reveal.consent_refused" in trail and "reveal.consented" in trail
    assert any('"how":"consent"' in c for _a, b, c in actions_of(world) if b == "reporter.revealed")


def test_requests_are_refused_where_they_make_no_sense(database, vault):
    world = build_world(database, vault)
    confidential_report(world)
    report = the_report(world)
    # An empty reason is refused beside the field; nothing recorded
    form = world.click("member", f"case:reveal:{report.id}")
    assert isinstance(form[0], Form)
    empty = world.submit("member", form[0].form_id, {"reason": "  "})
    assert isinstance(empty[0], FormErrors) and "reason" in empty[0].errors
    # One open request per case
    ask(world, "member", report)
    again = world.submit("member2", f"reveal-ask:{report.id}", {"reason": "me too"})
    assert "already open" in text_of(again)
    assert f"case:reveal:{report.id}" not in choice_values(world.click("member2", f"case:view:{report.id}"))
    # An officer cannot ask (the case gate: audited)
    assert "Audit Committee" in text_of(world.submit("controller", f"reveal-ask:{report.id}", {"reason": "x"}))
    # A forged decision is refused beside the field
    request = the_request(world)
    odd = world.submit("chair", f"reveal-vote:{request.id}", {"decision": "maybe"})
    assert isinstance(odd[0], FormErrors)
    # A second vote is refused, audited
    vote(world, "chair", request, "decline")
    twice = world.submit("chair", f"reveal-vote:{request.id}", {"decision": "agree"})
    assert "declined already" in text_of(twice)
    assert any(b == "reveal.refused" and "vote-again" in c for a, b, c in actions_of(world)
               if a == person(world, "chair"))
    # Unknown requests read as not found
    assert "find" in text_of(world.click("chair", "reveal:open:nope")).lower()
    with world.db.read() as session:
        assert len(session.exec(select(RevealRequest)).all()) == 1


def test_no_quorum_is_possible_with_fewer_than_two_members_allowed(database, vault):
    world = build_world(database, vault)
    confidential_report(world)
    report = the_report(world)
    for key in ("member", "member2"):
        form = world.click("chair", f"case:exclude:{report.id}")
        world.submit("chair", form[0].form_id, {"member": str(world.people[key].id)})
    form = world.click("chair", f"case:reveal:{report.id}")
    assert "No quorum is possible" in text_of(form)
    # The reporter may still be asked
    assert "recorded" in text_of(ask(world, "chair", report, path="consent"))


def test_a_named_report_has_no_reveal(database, vault):
    world = build_world(database, vault)
    world.command("cfo", "ethics", "report")
    world.submit("cfo", "intake", {"category": "fraud", "what": "Revenue early", "anonymous": "no"})
    report = the_report(world)
    assert f"case:reveal:{report.id}" not in choice_values(world.click("member", f"case:view:{report.id}"))
    assert "no confidential reporter" in text_of(world.click("member", f"case:reveal:{report.id}"))


def test_retention_shreds_requests_and_votes_with_the_case(database, vault):
    world = build_world(database, vault)
    confidential_report(world)
    report = the_report(world)
    ask(world, "member", report)
    request = the_request(world)
    vote(world, "chair", request, "decline", "not now")
    with world.db.write() as session:
        row = session.get(Report, report.id)
        assert row is not None
        row.status, row.closed_at = CaseStatus.CLOSED, world.core.now()
        retention.db_shred(session, world.core, row)
    with world.db.read() as session:
        keys = {(k.record_kind, k.record_id) for k in session.exec(select(DataKey)).all()}
        votes = session.exec(select(RevealVote)).all()
        asked = [o for o in session.exec(select(OutboxMessage)).all() if request.id in o.key]
    assert ("reveal_request", request.id) not in keys
    assert votes and all(("reveal_vote", v.id) not in keys for v in votes)
    assert asked == []  # the notices that named the request went with it
    assert all(p.name for p in world.people.values() if isinstance(p, Person))


def test_keeping_a_member_away_after_a_request_does_not_lower_its_quorum(database, vault):
    # Given a quorum of 3 of the 3 members, and a request Alex made (he counts as agreeing)
    world = build_world(database, vault)
    world.core.schedule = type(world.core.schedule)(reveal_quorum=3)
    confidential_report(world)
    report = the_report(world)
    assert "3 of you agree" in text_of(ask(world, "member", report))
    request = the_request(world)
    # When the chair keeps Jordan away, leaving 2 allowed, and then agrees
    form = world.click("chair", f"case:exclude:{report.id}")
    world.submit("chair", form[0].form_id, {"member": str(world.people["member2"].id)})
    agreed = text_of(world.submit("chair", f"reveal-vote:{request.id}", {"decision": "agree"}))
    # Then two agreements do not reveal what needed three: the request can no longer succeed
    assert "quorum is reached" not in agreed and "closed" in agreed
    assert the_request(world).state == RevealState.DECLINED
    assert "Dana" not in shown_to_committee(world, "member", report)
