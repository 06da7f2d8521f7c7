"""The confidentiality audit: every flow run through Slack with canaries in every free-text field
and a canary Slack id for an anonymous reporter (one of whose reports is still held, sealed, for its
delay), at DEBUG logging, on SQLite and on PostgreSQL. Then the database file and its WAL (or a pg_dump of the schema), every table, the logs, the audit log and every call to the Slack stand-in are searched. The
only places a canary may appear: the reporter's own DM conversation and the allowed member's
private view. The anonymous reporter's Slack id appears nowhere in clear, in no table (the
identity table included: it is sealed, found by a keyed tag) and in no byte at rest. No message the bot posts (chat.postMessage,
chat.update), in a channel or in a reporter's chat, carries a canary: those stay in history.

The key ceremony (split, drill, recovery) run beside the server leaves no share word, private key or keyring byte anywhere either."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import MetaData, text
from sqlmodel import select
from typer.testing import CliRunner

from adapters.bootstrap import configure_logging
from adapters.cli import app
from storage.escrow import RecoveryPair
from storage.keyring import load_keyring
from storage.models import Designation, Determination, NoticeDelivery, Person, Report
from storage.shares import GivenShare, combine
from tests.e2e.slack_harness import ROSTER, radio, running, text_input
from tests.e2e.slack_harness import option as choose
from tests.integration.test_storage_canary import key_material, leaks, postgres_dump, table_texts
from tests.support.designees import import_designees
from tests.support.slack_stand_in import SlackStandIn

FIELDS = ["what", "who", "when", "evidence", "known", "question", "reason", "disclosure", "anon", "held",
          "finding", "how",  # the written notice (issue 22): its finding, how it was delivered
          "note",
          "why", "dq", "ended"]  # designations (issue 22): why made, the designee's question, why ended
CANARY = {name: f"CANARY{name.upper()}x7" for name in FIELDS}
ANON_ID = "U0CANARYX"


@pytest.fixture
async def slack(tmp_path, monkeypatch, caplog, database_url):
    # As `CANDOR_LOG_LEVEL=DEBUG candor serve` sets it up: every logger at DEBUG, except those
    # Candor keeps at INFO because they log payloads (the SQL echo stays on, without parameters).
    caplog.set_level(logging.DEBUG)
    configure_logging("DEBUG")
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # a developer's SQL echo
    try:
        async with SlackStandIn(emails={ANON_ID: "sam@example.com"}) as api:
            async with running(tmp_path, api, monkeypatch, database_url=database_url) as harness:
                yield harness
    finally:
        logging.getLogger("sqlalchemy").setLevel(logging.WARNING)  # as SQLAlchemy sets it at import
        for name in ("sqlalchemy.engine", "slack_sdk", "slack_bolt"):
            logging.getLogger(name).setLevel(logging.NOTSET)


def audit_actions(slack) -> list[str]:
    with slack.candor.db.engine.connect() as connection:
        return list(connection.execute(text("SELECT action FROM auditevent")).scalars())


async def test_no_canary_leaves_where_it_belongs(slack, caplog, tmp_path):
    c = CANARY
    # A named report typed in the Messages tab (after the warning), every field filled.
    await slack.dm("U0CFO", "report")
    await slack.until(lambda: len(slack.api.called("chat.postMessage")) >= 2)
    await slack.click("U0CFO", "chatreport:start", channel="DU0CFO")
    await slack.until(lambda: len(slack.api.called("chat.postMessage")) >= 4)
    for line in ["3", f"Revenue pulled forward {c['what']}", f"The plant controller {c['who']}",
                 "done", f"Since March {c['when']}", f"Ledger JE-4411 {c['evidence']}",
                 f"The auditors {c['known']}", "named"]:
        await slack.say("U0CFO", line)
    await slack.dm("U0CFO", "submit")
    await slack.until(lambda: slack.api.called("chat.postEphemeral"))
    # An anonymous report by modal, from a Slack id Candor matches by e-mail.
    answer = await slack.submit(ANON_ID, "intake", {"category": choose("fraud"),
                                                    "what": text_input(f"Kickbacks {c['anon']}"),
                                                    "anonymous": radio("yes")})
    receipt = await answer.text()
    secret = re.search(r"Your secret: \*{1,2}([^*]+)\*{1,2}", receipt).group(1)
    named, anonymous = sorted(slack.reports(), key=lambda r: r.anonymous)
    # The committee: acknowledge, open privately, ask the named reporter, move with a reason.
    await slack.acknowledge("U0LEE", named.id)
    await slack.click("U0LEE", f"case:view:{named.id}")
    await slack.until(lambda: slack.api.called("views.open"))
    await slack.submit("U0LEE", f"ask:{named.id}", {"question": text_input(f"Who approved? {c['question']}")})
    await slack.submit("U0LEE", f"move:{named.id}:under_review", {"reason": text_input(f"Forensics {c['reason']}")})
    # A note (a recommendation) and the lead (issue 22); the note is read back in the details.
    await slack.submit("U0LEE", f"note:{named.id}", {"note": text_input(f"Interviewed the controller {c['note']}"),
                                                     "recommendation": radio("yes")})
    await slack.click("U0LEE", f"case:lead:{named.id}")
    await slack.until(lambda: "case.lead_taken" in str(audit_actions(slack)))
    await slack.click("U0LEE", f"case:view:{named.id}")
    await slack.until(lambda: c["note"] in str(slack.api.called("views.open")))
    await slack.acknowledge("U0LEE", anonymous.id)
    # A designation (issue 22): outside counsel designated on the anonymous case (why: a canary),
    # who asks the reporter a question (a canary); a second one, ended with a reason (a canary).
    import_designees(slack.candor, ROSTER)
    with slack.candor.db.read() as session:
        designees = {p.email: p.id for p in session.exec(select(Person).where(Person.kind == "designee"))}
    until = {"value": {"type": "datepicker", "selected_date": datetime.now(UTC).date().isoformat()}}
    for email in ("robin@counsel.example", "casey@audit.example"):
        await slack.submit("U0LEE", f"designate:{anonymous.id}", {
            "person": choose(str(designees[email])), "scope": choose("investigate"), "until": until,
            "why": text_input(f"Interview the VP {c['why']}")})
    asked = await slack.submit("U0ROBIN", f"ask:{anonymous.id}", {"question": text_input(f"Who signed? {c['dq']}")})
    assert "errors" not in await asked.text() and "Audit Committee." not in await asked.text()
    with slack.candor.db.read() as session:
        casey = session.exec(select(Designation).where(
            Designation.person_id == designees["casey@audit.example"])).one()
    await slack.submit("U0LEE", f"enddesignation:{casey.id}", {"why": text_input(f"Done {c['ended']}")})
    await slack.until(lambda: len([m for m in slack.api.called("chat.postMessage")
                                   if m.args.get("channel") in {"DU0ROBIN", "DU0CASEY"}]) >= 3)
    # The written notice (issue 22): a determination of written notice whose finding is a canary,
    # its delivery recorded with how (a canary), and its letter written at the command line.
    with slack.candor.db.read() as session:
        sam = session.exec(select(Person).where(Person.email == "sam@example.com")).one()
    today = datetime.now(UTC).date().isoformat()
    await slack.submit("U0LEE", f"determine:{named.id}", {
        "subject": choose(str(sam.id)), "violation": radio("yes"), "action": choose("written_notice"),
        "nature": text_input(f"Side letters {c['finding']}"), "occurrence": choose("single"),
        "intent": choose("inadvertent"), "advised": radio("no"), "prior": text_input("None"),
        "decider": text_input("Board of Directors"),
        "decided_on": {"value": {"type": "datepicker", "selected_date": today}},
        "reasoning": text_input("A first lapse")})
    with slack.candor.db.read() as session:
        determination = session.exec(select(Determination)).one()
    await slack.submit("U0LEE", f"notice:{named.id}:{determination.id}", {
        "delivered_on": {"value": {"type": "datepicker", "selected_date": today}},
        "how": text_input(f"By hand {c['how']}")})
    letter = CliRunner().invoke(app, ["export", "notice", named.code, "--as", "lee@example.com",
                                      "--out", str(tmp_path / "letter.pdf")])
    assert letter.exit_code == 0 and c["finding"] not in letter.output, letter.output
    assert (tmp_path / "letter.pdf").stat().st_mode & 0o777 == 0o600  # the letter: a private file
    # An attestation with a disclosure.
    await slack.submit("U0CFO", "attest", {"read_understood": radio("yes"), "complied": radio("yes"),
                                           "no_conflict": radio("no"), "no_unreported": radio("yes"),
                                           "disclosure": text_input(f"Supplier board seat {c['disclosure']}")})
    await slack.until(lambda: len(slack.api.called("chat.update")) >= 3)
    await slack.until(lambda: len([m for m in slack.api.called("chat.postMessage")
                                   if "There is news" in str(m)]) >= 2)
    # The named reporter reads the question in a window, from the note's button.
    await slack.click("U0CFO", "reporter:cases", channel="DU0CFO")
    await slack.until(lambda: len(slack.api.called("views.open")) >= 2)
    await slack.click("U0CFO", f"cmd:ethics:status {named.code}", view="modal")
    await slack.until(lambda: c["question"] in str(slack.api.called("views.push")))

    # An anonymous report held for its delay (bot.pending), still held when everything is searched.
    slack.candor.core.schedule = replace(slack.candor.core.schedule, anonymous_delay_minutes=60)
    held = await slack.submit(ANON_ID, "intake", {"category": choose("fraud"),
                                                  "what": text_input(f"Cash held offshore {c['held']}"),
                                                  "anonymous": radio("yes")})
    held_secret = re.search(r"Your secret: \*{1,2}([^*]+)\*{1,2}", await held.text()).group(1)

    # Where canaries may be: only the private views (modals); no message posted or edited.
    allowed, searched = [], []
    for call in slack.api.calls:
        private_view = call.method in {"views.open", "views.push"}
        (allowed if private_view else searched).append(str(call))
    where = [(call.method, call.args.get("channel")) for call in slack.api.calls if "CANARY" in str(call)]
    assert c["what"] in "\n".join(allowed) and c["question"] in "\n".join(allowed), where
    assert c["note"] in "\n".join(allowed), where
    assert "designated you on case" in outside_of(slack)  # the designees were told (no content)
    assert not [w for w in where if w[0] in {"chat.postMessage", "chat.update"}], where
    outside = "\n".join(searched)
    for canary in CANARY.values():
        assert canary not in outside
        assert canary not in caplog.text
    assert ANON_ID not in caplog.text
    # The logs searched were DEBUG logs, with the SQL echo; and no receipt's secret is in them.
    assert "INSERT INTO report" in caplog.text and logging.getLogger("candor").isEnabledFor(logging.DEBUG)
    assert secret not in caplog.text and held_secret not in caplog.text

    # The database: no canary in the SQLite file or its WAL, or in a pg_dump of the schema, nor
    # in any table as text.
    if slack.candor.db.is_sqlite:
        stored = {path.name: path.read_bytes() for path in tmp_path.glob("candor.db*")}
        assert "candor.db" in stored
    else:
        dump = postgres_dump(slack.candor.db)
        assert named.code in dump and anonymous.code in dump  # the dump holds the rows
        stored = {"pg_dump": dump.encode()}
    for name, raw in stored.items():
        for canary in [*CANARY.values(), ANON_ID]:
            assert canary.encode() not in raw and canary.encode().hex().encode() not in raw, name
    tables = table_texts(slack.candor.db)
    assert "casenote" in tables  # every table, the notes' too (issue 22)
    for table, dump in tables.items():
        for canary in CANARY.values():
            assert canary not in dump, table
        assert ANON_ID not in dump, table  # the identity table included: it is sealed
        if table == "pendingreport":  # positive control: the held report is there, sealed
            assert len(json.loads(dump)) == 1
        if table in ("noticedelivery", "casenote"):  # positive controls: there, sealed
            assert len(json.loads(dump)) == 1
        if table == "designation":  # positive control: both designations are there, sealed
            assert len(json.loads(dump)) == 2
    with slack.candor.db.engine.connect() as connection:
        audit = connection.execute(text("SELECT actor, action, record_kind, record_id, detail FROM auditevent")).all()
    assert "U0CANARYX" not in str(audit) and all("CANARY" not in str(row) for row in audit)
    assert [row for row in audit if row.action == "case.question" and row.actor.startswith("person:")
            and row.record_id == anonymous.id]  # the designee's question was recorded
    # Positive control: the anonymous report is there, and opens with the key.
    with slack.candor.db.read() as session:
        report = session.exec(select(Report).where(Report.id == anonymous.id)).one()
        content = slack.candor.core.vault.unseal(session, kind="report", record_id=report.id, blob=report.body)
    assert c["anon"] in content["what"] and content["reporter"] is None
    with slack.candor.db.read() as session:
        delivery = session.exec(select(NoticeDelivery)).one()
        how = slack.candor.core.vault.unseal(session, kind="notice_delivery", record_id=delivery.id,
                                             blob=delivery.body)
    assert c["how"] in how["how"]
    with slack.candor.db.read() as session:
        sealed = [slack.candor.core.vault.unseal(session, kind="designation", record_id=d.id, blob=d.body)
                  for d in session.exec(select(Designation)).all()]
    assert all(c["why"] in d["why"] for d in sealed) and [d for d in sealed if c["ended"] in d.get("ended_why", "")]


def outside_of(slack) -> str:
    return "\n".join(str(call) for call in slack.api.calls if call.method == "chat.postMessage")


async def test_no_share_word_private_key_or_keyring_byte_leaves_the_key_ceremony(slack, caplog, tmp_path):
    # Given a company with a report, and the committee's key ceremony run beside the server:
    # a split, the drill, a refused recovery (two shares) and a recovery to another file
    for line in ["report", "3", f"Revenue pulled forward {CANARY['what']}", "skip", "done", "skip", "skip",
                 "skip", "named", "submit"]:
        await slack.say("U0CFO", line)
    cli = CliRunner()
    outputs = [cli.invoke(app, ["keys", "split", "--shares", "5", "--threshold", "3", "--out",
                                str(tmp_path / "shares")])]
    shares = [tmp_path / "shares" / f"share-{n}.txt" for n in range(1, 6)]
    outputs.append(cli.invoke(app, ["keys", "check"]))
    recovered = tmp_path / "recovered.key"
    env = {"CANDOR_KEY_FILE": str(recovered)}
    outputs.append(cli.invoke(app, ["keys", "recover", *map(str, shares[:2])], env=env))
    outputs.append(cli.invoke(app, ["keys", "recover", *map(str, shares[2:])], env=env))
    assert [r.exit_code for r in outputs] == [0, 0, 1, 0], [r.output for r in outputs]
    keyring = slack.candor.keyring
    assert load_keyring(key_file=recovered, env_value=None).to_json() == keyring.to_json()
    mnemonics = [s.read_text().splitlines()[-1].removeprefix("words: ") for s in shares]
    given = [GivenShare(s.name, tuple(m.split())) for s, m in zip(shares, mnemonics, strict=True)]
    pair = RecoveryPair.from_private(combine(given[:3]).secret)
    material = key_material(keyring, pair, mnemonics)

    # Then none of it is in a log line, a command's output, an outbound call or an audit row
    assert leaks(caplog.text.encode(), material) == []
    assert leaks("\n".join(r.output for r in outputs).encode(), material) == []
    assert leaks(str(slack.api.calls).encode(), material) == []
    # Nor in any column of any table in clear, nor in the database's bytes at rest
    engine = slack.candor.db.engine
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as connection:
        for table in meta.sorted_tables:
            for row in connection.execute(table.select()):
                for value in row:
                    raw = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
                    assert leaks(raw, material) == [], table.name
        audit = connection.execute(text("SELECT actor, action, detail FROM auditevent "
                                        "WHERE action LIKE 'keys.%' ORDER BY seq")).all()
    assert [row.action for row in audit] == ["keys.split", "keys.checked", "keys.recovered"]
    if slack.candor.db.is_sqlite:
        stored = {path.name: path.read_bytes() for path in tmp_path.glob("candor.db*")}
    else:
        stored = {"pg_dump": postgres_dump(slack.candor.db).encode()}
    for name, raw in stored.items():
        assert leaks(raw, material) == [], name
