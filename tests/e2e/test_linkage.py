"""The linkage test (issue 11): a day on which five officers use Candor, and an adversary given
everything outside the key, who tries to name the one who reported anonymously.

The real `candor serve` runs Slack and Teams from one server (tests/e2e/serve_harness.py) at
CANDOR_LOG_LEVEL=DEBUG, its log in a file, with CANDOR_ANONYMOUS_DELAY_MINUTES=1 (the smallest
delay; the test waits for the alert). The officers are on the roster by e-mail only, as the README
allows: each is matched to their account the first time they use Candor. The day, one visit every
GAP seconds (a day compressed into a minute):

    Priya  Slack  earlier: a named report, /ethics report and the form   (follows a named case)
    Kofi   Slack  /ethics report, the form, sent confidentially          (reports confidentially)
    Omar   Slack  /ethics report, the form, closed unsent                (starts and cancels a report)
    Lena   Slack  /ethics report, the form, sent anonymously             (reports anonymously)
    Dana   Slack  /attest, the form, submitted                           (attests)
    Sam    Teams  `attest` typed, the card's dialog, submitted           (attests)
    Priya  Slack  the chair acknowledges Kofi's case, then hers; she opens it from the note Candor
                  sends her (Kofi is sent the same note, after its random delay)

Its follow-ups (on the main day): the chair acknowledges the anonymous case and asks a question;
Omar and Lena each attest on Slack (seen: their attestations name them), and right after, Omar
opens the report form again and closes it, while Lena checks her case (`/ethics status CODE
SECRET`, a slash command, kept nowhere) and reads the question; a while later, seen by nobody, she
checks it again and answers. The adversary is given the write order of all of it: it must still
rank Lena no higher than Omar, who only opened the form.

The same adversary, asked who made the confidential report (issue 24), is also given the times at
which the channel shows the committee acting on that case, each followed by the content-free news
Candor sends its reporter: it must not rank Kofi first, alone. The news to a confidential reporter
waits the same random delay as the alert; the chair acknowledging the day's cases in one sitting
puts Priya's news (a named reporter's, sent at once) in the same window. Without other news in
that window, the news would single him out: the README says so.

The adversary (tests/support/adversary.py, reading the store with tests/support/forensics.py) is
given every table, SQLite's WAL frames (or a pg_dump, each row's xmin and pg_waldump's records),
the log, both committee channels' posts and every person's chat history on both platforms with
times and user ids, and the platforms' directories. It ranks the five officers (`pytest -s` prints
the ranking, stage by stage). The anonymous reporter must not come out ahead of everyone else.

A second day puts Omar and Lena on Teams: each was answered with the menu card on an earlier visit
(a word typed, kept in the chat), and later opens the form from its *Report a concern* button, a
dialog that writes nothing into the chat; only the submission's own trace could tell them apart.

The control day proves the attack can find someone: Lena types `report` in her Messages tab (its
offer stays in her chat, with its time) and the alert goes out at once (the delay turned off);
there the attack must rank her first."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from adapters.bootstrap import configure_logging
from storage.db import Database
from tests.e2e.serve_harness import COMMITTEE, TEAMS_CHANNEL, Served, serve
from tests.e2e.slack_harness import option as choose
from tests.e2e.slack_harness import radio, text_input
from tests.integration.test_storage_canary import postgres_dump
from tests.support import adversary, forensics, observations

# Minutes of real servers and real load: `make quick` leaves these out, `make test` runs them.
pytestmark = pytest.mark.slow

SESSION = 2.5  # seconds: how long the adversary's model lets a visit last, at the day's pace
GAP = 5.0  # seconds between two people's visits
ROSTER = """\
officers:
  - {name: Dana Reyes, email: dana@example.com, role: CFO, attestation_due: 2027-03-31}
  - {name: Sam Ortiz, email: sam@example.com, role: Controller, attestation_due: 2027-03-31}
  - {name: Priya Shah, email: priya@example.com, role: CEO, attestation_due: 2027-03-31}
  - {name: Omar Haddad, email: omar@example.com, role: President, attestation_due: 2027-03-31}
  - {name: Lena Novak, email: lena@example.com, role: General Manager, attestation_due: 2027-03-31}
  - {name: Kofi Mensah, email: kofi@example.com, role: Controller, attestation_due: 2027-03-31}
committee:
  - {name: Lee Park, email: lee@example.com, chair: true, slack_id: U0LEE, teams_id: aad-lee}
  - {name: Alex Kim, email: alex@example.com, slack_id: U0ALEX, teams_id: aad-alex}
"""
OFFICERS = ["Dana Reyes", "Sam Ortiz", "Priya Shah", "Omar Haddad", "Lena Novak", "Kofi Mensah"]
REPORTER, CANCELLER = "Lena Novak", "Omar Haddad"
CONFIDENTIAL = "Kofi Mensah"  # reports confidentially (issue 24)
PEOPLE = [*OFFICERS, "Lee Park", "Alex Kim"]
# The platforms' directories: which account is whose (a workspace or tenant administrator knows).
SLACK_IDS = {name: "U0" + name.split()[0].upper()[:6] for name in PEOPLE}
TEAMS_IDS = {name: "aad-" + name.split()[0].lower() for name in PEOPLE}
EMAILS = {name: name.split()[0].lower() + "@example.com" for name in PEOPLE}
NARRATIVE = "Side letters on the Q3 deals"
ATTESTED = {"read_understood": "yes", "complied": "yes", "no_conflict": "yes", "no_unreported": "yes"}


class PickedOut(AssertionError):
    """The adversary ranked the anonymous reporter first, alone."""


def buttons(call: Any) -> list[dict[str, Any]]:
    return [e for b in call.args.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


def channel_posts(day: Served, code: str) -> list[Any]:
    return [c for c in day.api.called("chat.postMessage") if c.args.get("channel") == COMMITTEE and code in str(c)]


async def slack_report(day: Served, name: str, *, anonymous: bool, typed: bool = False,
                       confidential: bool = False) -> tuple[str, str]:
    """A report made on Slack; its case code and secret ("" when named or confidential). The way
    the README recommends: /ethics report and the form. With `typed`: `report` typed in the
    Messages tab, then its Open the form button."""
    if typed:
        user = day.slack_ids[name]
        before = len(day.api.called("chat.postMessage"))
        await day.slack_typed(name, "report")
        offer = await day.until(lambda: [c for c in day.api.called("chat.postMessage")[before:]
                                         if "Open the form" in str(c)])
        opened = len(day.api.called("views.open"))
        assert (await day.slack.click(user, buttons(offer[0])[0]["value"], channel=f"D{user}")).status == 200
        form = (await day.until(lambda: day.api.called("views.open")[opened:]))[0].args["view"]
    else:
        form = await day.slash(name, "/ethics", "report")
    await asyncio.sleep(1.0)  # filling it in
    way = "confidential" if confidential else "yes" if anonymous else "no"
    receipt = await day.slack_submit(name, form, {"category": choose("fraud"), "what": text_input(NARRATIVE),
                                                  "anonymous": radio(way)})
    secret = re.search(r"Your secret: \*{1,2}([0-9A-Z-]+)\*{1,2}", receipt)
    code = re.search(r"(?:as case \*{1,2}|case code is )([0-9A-Z]{4}-[0-9A-Z]{4})", receipt).group(1)  # type: ignore[union-attr]
    return code, secret.group(1) if secret else ""


async def teams_menu(day: Served, name: str) -> Any:
    """An earlier visit on Teams: a word typed in the chat (it stays there, with its time), and
    the menu card Candor answers with, which stays in the chat too."""
    return await day.teams_typed(name, "hello")


async def teams_report(day: Served, name: str, menu: Any, *, submit: bool) -> str | None:
    """The report form on Teams, the way the README says: the menu card's *Report a concern*
    opens the form in a dialog at once (nothing is written into the chat); sent anonymously, or
    closed (Teams tells Candor nothing of that). The case code of a report sent."""
    [action] = [a for a in menu.body["attachments"][0]["content"]["actions"]
                if a["title"] == "Report a concern"]
    form = (await day.teams_invoke(name, "task/fetch", action["data"]))["task"]["value"]["card"]["content"]
    if not submit:
        return None
    await asyncio.sleep(1.0)
    receipt = json.dumps(await day.teams_invoke(name, "task/submit", {
        **form["actions"][0]["data"], "category": "fraud", "what": NARRATIVE, "anonymous": "yes"}))
    return re.search(r"as case \*{1,2}([0-9A-Z]{4}-[0-9A-Z]{4})\*{1,2}", receipt).group(1)  # type: ignore[union-attr]


async def the_day(day: Served, *, typed_report: bool = False, pair: str = "slack", follow_ups: bool = False) -> str:
    """The five officers' day; the anonymous report's case code, once its alert is out. `pair`:
    the platform Omar and Lena open the report form on; `follow_ups`: the reporter's later
    visits (Slack only)."""
    await day.add_to_team()
    # Earlier visits: on Teams, Omar and Lena were answered with the menu card.
    menus = {name: await teams_menu(day, name) for name in (CANCELLER, REPORTER)} if pair == "teams" else {}
    await asyncio.sleep(GAP)
    # Earlier: Priya's named report, and its alert in the channel.
    named, _ = await slack_report(day, "Priya Shah", anonymous=False)
    await day.until(lambda: channel_posts(day, named))
    await asyncio.sleep(GAP)

    # Kofi reports confidentially (issue 24): his name sealed apart, the alert after its delay.
    sealed, _ = await slack_report(day, CONFIDENTIAL, anonymous=False, confidential=True)
    await asyncio.sleep(GAP)

    # Omar opens the report form as Lena will, and closes it (the platform tells Candor nothing of that).
    if pair == "teams":
        await teams_report(day, CANCELLER, menus[CANCELLER], submit=False)
    else:
        await day.slash(CANCELLER, "/ethics", "report")
    await asyncio.sleep(GAP)

    # Lena reports anonymously.
    secret = ""
    if pair == "teams":
        code = await teams_report(day, REPORTER, menus[REPORTER], submit=True)
        assert code is not None
    else:
        code, secret = await slack_report(day, REPORTER, anonymous=True, typed=typed_report)
    await asyncio.sleep(GAP)

    # Dana attests on Slack: /attest, the form, submitted.
    form = await day.slash("Dana Reyes", "/attest", "")
    await asyncio.sleep(1.0)
    assert "recorded" in await day.slack_submit("Dana Reyes", form, {k: radio(v) for k, v in ATTESTED.items()})
    await asyncio.sleep(GAP)

    # Sam attests on Teams: `attest` typed, the card's dialog, submitted in it.
    card = await day.teams_typed("Sam Ortiz", "attest")
    dialog = await day.teams_dialog("Sam Ortiz", card)
    await asyncio.sleep(1.0)
    answer = await day.teams_invoke("Sam Ortiz", "task/submit", {**dialog["actions"][0]["data"], **ATTESTED})
    assert "recorded" in json.dumps(answer)
    await asyncio.sleep(GAP)

    # The chair acknowledges the day's cases in one sitting: Kofi's (once its alert is out; Kofi is
    # told there is news after a random delay), then Priya's; Candor tells Priya there is news;
    # she opens her case.
    await day.until(lambda: channel_posts(day, sealed), timeout=120)
    [ack] = [b["value"] for b in buttons(channel_posts(day, sealed)[0]) if b["value"].startswith("case:ack:")]
    assert (await day.slack.click("U0LEE", ack)).status == 200
    await asyncio.sleep(1.0)
    [ack] = [b["value"] for b in buttons(channel_posts(day, named)[0]) if b["value"].startswith("case:ack:")]
    assert (await day.slack.click("U0LEE", ack)).status == 200
    note = await day.until(lambda: [c for c in day.api.called("chat.postMessage") if c.args.get("channel") == "DU0PRIYA"])
    await asyncio.sleep(GAP)
    opened = len(day.api.called("views.open"))
    assert (await day.slack.click("U0PRIYA", buttons(note[0])[0]["value"], channel="DU0PRIYA")).status == 200
    mine = (await day.until(lambda: day.api.called("views.open")[opened:]))[0].args["view"]
    [status] = [e["value"] for b in mine["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert (await day.slack.click("U0PRIYA", status, view="modal")).status == 200
    await day.until(lambda: [v for v in day.api.called("views.push") if f"Case {named}" in str(v)])

    # The anonymous report's alert, after its delay, in both committee channels.
    await day.until(lambda: channel_posts(day, code) and [p for p in day.connector.posts(TEAMS_CHANNEL)
                                                          if code in str(p)], timeout=120)
    # Kofi's news, after its delay, in his chat.
    await day.until(lambda: [c for c in day.api.called("chat.postMessage") if c.args.get("channel") == "DU0KOFI"],
                    timeout=120)
    if follow_ups:
        await the_reporters_follow_ups(day, code, secret)
    return code


async def the_reporters_follow_ups(day: Served, code: str, secret: str) -> None:
    """The chair asks about the anonymous case; Omar and Lena each attest, then Omar opens the
    report form and closes it while Lena reads the question; later, unseen, she answers it."""
    [ack] = [b["value"] for b in buttons(channel_posts(day, code)[0]) if b["value"].startswith("case:ack:")]
    report_id = ack.removeprefix("case:ack:")
    assert (await day.slack.click("U0LEE", ack)).status == 200
    asked = await day.slack.submit("U0LEE", f"ask:{report_id}", {"question": text_input("Which deals, since when?")})
    assert asked.status == 200
    await asyncio.sleep(GAP)
    for name in (CANCELLER, REPORTER):
        form = await day.slash(name, "/attest", "")
        await asyncio.sleep(1.0)
        assert "recorded" in await day.slack_submit(name, form, {k: radio(v) for k, v in ATTESTED.items()})
        if name == REPORTER:
            assert "Which deals" in json.dumps(await day.slash(name, "/ethics", f"status {code} {secret}"))
        else:
            await day.slash(name, "/ethics", "report")
        await asyncio.sleep(GAP)
    await asyncio.sleep(2 * GAP)  # a while later (two key heartbeats), unseen
    status = await day.slash(REPORTER, "/ethics", f"status {code} {secret}")
    [answer] = [e["value"] for b in status["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e["value"].startswith("answer:")]  # beside it: Put my name on this report
    pushed = len(day.api.called("views.push"))
    assert (await day.slack.click(day.slack_ids[REPORTER], answer, view="modal")).status == 200
    form = (await day.until(lambda: day.api.called("views.push")[pushed:]))[0].args["view"]
    await asyncio.sleep(1.0)
    assert code in await day.slack_submit(REPORTER, form, {"answer": text_input("The Q3 deals, since July")})
    await asyncio.sleep(GAP)
    # The committee is told of the answer (after its own delay, once it is recorded)
    await day.until(lambda: [c for c in channel_posts(day, code) if "answered" in str(c)], timeout=120)


async def attack_a_day(tmp: Path, database_url: str, *, delay: int, typed_report: bool = False,
                       pair: str = "slack", follow_ups: bool = False,
                       target: str = "anonymous") -> tuple[adversary.Ranking, adversary.Given]:
    """Run the day, give the adversary everything outside the key, and let it rank the officers
    as the maker of the `target` report; the other ranking is printed too."""
    postgres = not database_url.startswith("sqlite")
    since = forensics.postgres_lsn(database_url) if postgres else ""
    day = await serve(tmp, database_url, roster=ROSTER, emails={n: EMAILS[n] for n in OFFICERS},
                      slack_ids=SLACK_IDS, teams_ids=TEAMS_IDS,
                      env={"CANDOR_LOG_LEVEL": "DEBUG", "CANDOR_ANONYMOUS_DELAY_MINUTES": str(delay)})
    try:
        await the_day(day, typed_report=typed_report, pair=pair, follow_ups=follow_ups)
        if not postgres:  # copied while the server runs: its last connection would checkpoint the WAL away
            (tmp / "copy.db").write_bytes((tmp / "candor.db").read_bytes())
            wal = (tmp / "candor.db-wal").read_bytes()
    finally:
        await day.close()
    if postgres:
        db = Database.from_url(database_url)
        try:
            dump = postgres_dump(db)
        finally:
            db.dispose()
        schema = re.search(r"search_path%3D(\w+)", database_url).group(1)  # type: ignore[union-attr]
        store = forensics.postgres_store(database_url, schema, since_lsn=since, dump=dump)
    else:
        store = forensics.sqlite_store(tmp / "copy.db", wal)
    slack_chats, slack_posts = observations.slack_history(day.api.calls, day.typed, COMMITTEE)
    teams_chats, teams_posts = observations.teams_history(day.connector.sent, day.typed, TEAMS_CHANNEL)
    directory = {key: name for name in OFFICERS for key in (SLACK_IDS[name], TEAMS_IDS[name], EMAILS[name], name)}
    given = adversary.Given(store=store, log=observations.read_log(day.log), chats=slack_chats + teams_chats,
                            posts=slack_posts + teams_posts, directory=directory, officers=OFFICERS,
                            delay_seconds=delay * 60, session_seconds=SESSION)
    path = "the Teams menu's Report a concern" if pair == "teams" else "`report` typed" if typed_report else "/ethics report"
    rankings = {}
    for report in ("anonymous", "confidential"):
        rankings[report] = adversary.attack(given, target=report)
        print(f"\n--- {store.backend}: the {report} report; delay {delay} min, the form opened by {path} ---\n"
              f"{rankings[report].table()}")
    return rankings[target], given


def check_the_debug_log(lines: list[observations.LogLine]) -> None:
    """At DEBUG, the log holds Candor's debugging, but no library's payload logging, no request's
    time, no one's platform id, e-mail or name, and nothing anyone typed."""
    text = "\n".join(line.text for line in lines)
    assert " DEBUG " in text, "not a DEBUG log"
    libraries = ("slack_bolt", "slack_sdk", "microsoft_agents", "microsoft_teams", "aiohttp", "sqlalchemy",
                 "httpx", "msal", "urllib3")
    assert not [line.text for line in lines if re.match(r"\S+ \S+ DEBUG (" + "|".join(libraries) + ")", line.text)]
    assert "aiohttp.access" not in text and "/slack/events" not in text and "/api/messages" not in text
    for name in PEOPLE:
        for key in (SLACK_IDS[name], TEAMS_IDS[name], EMAILS[name], name):
            assert key not in text, key
    assert NARRATIVE not in text


def check_the_store_names_no_one(store: forensics.Store) -> None:
    """No plain column of any table holds anyone's platform id or personal chat (a Slack DM is
    "D" + the user id; a Teams 1:1 chat "a:..."), and no outbox key names a person beside a case:
    the chair's acknowledgement sent Priya a direct message about her case."""
    people = {str(r.values["id"]) for r in store.tables["person"]}
    cases = {str(r.values["id"]) for r in store.tables["report"]}
    ids = [*SLACK_IDS.values(), *TEAMS_IDS.values(), "a:1on1-", "a:personal-"]
    plain = [(row.table, column, value) for rows in store.tables.values() for row in rows
             for column, value in row.values.items() if isinstance(value, str)]
    assert [(t, c, v) for t, c, v in plain if any(i in v for i in ids)] == []
    for row in store.tables["outboxmessage"]:
        parts = set(re.split(r"[:@]", str(row.values["key"])))
        assert not (parts & cases and parts & people), row.values["key"]
        if row.values["kind"] == "dm":
            assert not parts & people and row.values["platform_channel"] is None, row.values["key"]
    assert [r for r in store.tables["outboxmessage"] if r.values["kind"] == "dm"], "Priya was told"


async def test_the_adversary_does_not_pick_out_the_anonymous_reporter(database_url, tmp_path):
    ranking, given = await attack_a_day(tmp_path, database_url, delay=1, follow_ups=True)

    check_the_debug_log(given.log)
    check_the_store_names_no_one(given.store)
    # The attack ran on real evidence: the write order was read, it found the others' visits and
    # the reporter's answer.
    assert given.store.txns and not given.store.notes, given.store.notes
    seen = {s.officer for s in ranking.scores if s.actions}
    assert {"Dana Reyes", "Sam Ortiz", "Priya Shah", CANCELLER, REPORTER} <= seen
    assert [f for f in ranking.findings if f.startswith("follow-up written in")], ranking.table()
    higher, level = ranking.rank_of(REPORTER)
    if level == 0:
        raise PickedOut(f"{REPORTER} is ranked first, alone:\n{ranking.table()}")
    # With her follow-ups in the write order, no higher than Omar, who only opened the form
    posterior = {s.officer: s.posterior for s in ranking.scores}
    if posterior[REPORTER] > posterior[CANCELLER] * (1 + 1e-6):
        raise PickedOut(f"{REPORTER} is ranked above {CANCELLER}:\n{ranking.table()}")
    # Nor the confidential reporter, given the committee's acts on his case and the news after them
    sealed = adversary.attack(given, target="confidential")
    assert [f for f in sealed.findings if f.startswith("committee acts on")
            and "none" not in f], sealed.table()
    if sealed.rank_of(CONFIDENTIAL)[1] == 0:
        raise PickedOut(f"{CONFIDENTIAL} is ranked first, alone:\n{sealed.table()}")


async def test_on_teams_the_adversary_does_not_pick_out_the_anonymous_reporter(tmp_path):
    # Omar and Lena open the form on Teams instead, the way the README says (the menu card's
    # Report a concern, a dialog): both were seen on an earlier visit, so only the submission's own
    # trace could tell them apart. On SQLite only, to keep the suite's time (PostgreSQL's commit
    # times date the submission more finely, but no visit of theirs is near it to line up with).
    ranking, given = await attack_a_day(tmp_path, f"sqlite:///{tmp_path / 'candor.db'}", delay=1, pair="teams")

    check_the_debug_log(given.log)
    assert {s.officer for s in ranking.scores if s.actions} >= {CANCELLER, REPORTER, "Sam Ortiz"}
    higher, level = ranking.rank_of(REPORTER)
    if level == 0:
        raise PickedOut(f"{REPORTER} is ranked first, alone:\n{ranking.table()}")


async def test_the_attack_picks_out_a_reporter_whose_visit_it_can_see(database_url, tmp_path):
    # The control: `report` typed in the chat (kept, with its time), and no delay on the alert.
    ranking, _given = await attack_a_day(tmp_path, database_url, delay=0, typed_report=True)

    assert ranking.scores[0].officer == REPORTER and ranking.rank_of(REPORTER) == (0, 0), ranking.table()


async def test_the_log_dates_no_request_even_at_debug(slack, caplog):
    # Given the log at DEBUG, as `CANDOR_LOG_LEVEL=DEBUG candor serve` sets it up
    caplog.set_level(logging.DEBUG)
    configure_logging("DEBUG")
    try:
        # When an officer files an anonymous report through the form
        form = await slack.command("U0CFO", "/ethics", "report")
        assert form.status == 200
        view = (await slack.until(lambda: slack.api.called("views.open")))[0].args["view"]
        answer = await slack.submit("U0CFO", view["callback_id"], {
            "category": choose("fraud"), "what": text_input(NARRATIVE), "anonymous": radio("yes")})
        assert "Your secret" in await answer.text()

        # Then no log line records the requests (their times and sizes would date the report)
        assert logging.getLogger("candor").isEnabledFor(logging.DEBUG)
        assert not [r for r in caplog.records if r.name.startswith("aiohttp.access")]
        assert not [r for r in caplog.records if "/slack/events" in r.getMessage()]
    finally:
        for name in ("aiohttp.access", "slack_sdk", "slack_bolt", "microsoft_agents", "microsoft_teams", "httpx"):
            logging.getLogger(name).setLevel(logging.NOTSET)
