"""The linkage adversary (issue 11): given everything outside the key, who made the anonymous report?

It is given the store as tests/support/forensics.py reads it (every table, the write order of the
transactions, deleted rows, commit times where the backend keeps them), the server's log, the
committee channels' posts and every person's chat history with times and user ids, and the
platforms' directories (which user id, e-mail or name is which officer: an administrator knows).
It also knows Candor's configuration (CANDOR_ANONYMOUS_DELAY_MINUTES) and its schema.

The attack, in steps:

1. The anonymous report is the `report` row marked anonymous. Its *submission transaction* is the
   first transaction that wrote a row naming the report's id; if that transaction deleted rows (a
   pending row consumed by a later recording), the transaction that inserted them is taken instead.
2. When was it submitted (T)? Each piece of evidence bounds T:
   - the alert: posted at T + U(0, delay) + relay latency (the latency learnt from named reports,
     whose alert is posted right after their exact `received_at`);
   - the audit log's order: the `report.submitted` row's neighbours in `seq` and their times;
   - the write order: the submission transaction's neighbours and their times (the times their
     rows carry, or the commit time itself where the WAL records it).
3. Who was seen when? Every *action* that names an officer: their chat messages (typed or
   received), log lines naming their ids, and every transaction that wrote a row naming them (an
   identity match, an attestation, their person row, their Teams conversation reference), dated
   by its own times or, failing that, by its neighbours'.
4. The score, Bayesian: under "officer i reported", T lies, with probability Q, within SESSION
   seconds of one of i's actions (a visit: the form was filled in around something seen), and
   otherwise anywhere in the day; an officer never seen is equally likely at any moment. The
   likelihood of the evidence is the mean of that density over the interval T is known to lie in,
   times LINK for an officer named in the submission transaction itself. Officers start equal.

`attack` returns the five officers, best first, with the score at each stage of evidence (so a
reader sees which signal moved whom) and the actions it found."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.support.forensics import Row, Store, Txn

Q = 0.5  # the chance a report is made in a visit the adversary sees
LINK = 50.0  # likelihood ratio of being named in the submission transaction itself
DEFAULT_LATENCY = 5.0
# Columns that hold the moment their row was written (or last changed); an update's unchanged
# columns say nothing, so for a changed row only the latest of them counts.
MOMENTS = ("at", "created_at", "attested_at", "received_at", "acknowledged_at", "closed_at", "delivered_at",
           "seen_at", "updated_at", "split_at", "sealed_at", "replaced_at")
# Columns holding a roster person's id.
PERSON_COLUMNS = ("person_id", "author_id", "by_id", "acknowledged_by", "decided_by", "recorded_by", "subject_id")


@dataclass(frozen=True)
class ChatMessage:
    """A message in a person's chat with Candor: typed by them (`from`) or posted to them (`to`)."""

    at: float
    platform: str
    user: str
    direction: str
    text: str


@dataclass(frozen=True)
class ChannelPost:
    at: float
    platform: str
    text: str


@dataclass(frozen=True)
class LogLine:
    number: int
    at: float
    text: str


@dataclass
class Given:
    """Everything outside the key."""

    store: Store
    log: list[LogLine]
    chats: list[ChatMessage]
    posts: list[ChannelPost]
    directory: dict[str, str]  # a user id, e-mail or name -> the officer it is
    officers: list[str]
    delay_seconds: float
    session_seconds: float


@dataclass
class Action:
    officer: str
    start: float
    end: float
    source: str


@dataclass
class Score:
    officer: str
    posterior: float
    stages: dict[str, float]
    actions: list[Action]
    links: list[str]


@dataclass
class Ranking:
    scores: list[Score]  # best first
    findings: list[str] = field(default_factory=list)
    origin: float = 0.0  # the day's first observed moment: times are shown as seconds after it

    def rank_of(self, officer: str) -> tuple[int, int]:
        """(officers scoring strictly higher, officers scoring at least as high, others than them)."""
        mine = next(s.posterior for s in self.scores if s.officer == officer)
        higher = sum(1 for s in self.scores if s.officer != officer and s.posterior > mine * (1 + 1e-9))
        level = sum(1 for s in self.scores if s.officer != officer and s.posterior >= mine * (1 - 1e-9))
        return higher, level

    def table(self) -> str:
        stages = list(self.scores[0].stages)
        lines = [f"{'officer':<14}{'posterior':>10}  " + "  ".join(f"{s:>18}" for s in stages)]
        for s in self.scores:
            lines.append(f"{s.officer:<14}{s.posterior:>10.3f}  " + "  ".join(f"{s.stages[k]:>18.3g}" for k in stages))
        lines.append("")
        for s in self.scores:
            seen = "; ".join(f"{a.source} @{a.start - self.origin:.1f}"
                             + (f"-{a.end - self.origin:.1f}" if a.end - a.start > 0.05 else "")
                             for a in sorted(s.actions, key=lambda a: a.start))
            lines.append(f"{s.officer}: seen {seen or 'nowhere'}" + (f"; named in the submission: {s.links}"
                                                                       if s.links else ""))
        return "\n".join(self.findings + ["(times: seconds after the first line of the log)", ""] + lines)


# --- what it is given ---------------------------------------------------------------------------

_LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) ")


def read_log(path: Path) -> list[LogLine]:
    """The server's log (`%(asctime)s ...`, local time); a line without a time (a traceback's)
    belongs to the line before."""
    lines: list[LogLine] = []
    for text in path.read_text(errors="replace").splitlines():
        found = _LOG_LINE.match(text)
        if found:
            at = datetime.strptime(found[1], "%Y-%m-%d %H:%M:%S").timestamp() + int(found[2]) / 1000
            lines.append(LogLine(len(lines), at, text))
        elif lines:
            last = lines[-1]
            lines[-1] = LogLine(last.number, last.at, last.text + "\n" + text)
    return lines


def slack_history(calls: list[Any], typed: list[ChatMessage], committee: str) -> tuple[list[ChatMessage], list[ChannelPost]]:
    """What Slack keeps: messages the bot posted or edited in a person's DM or in the committee
    channel, and what people typed in their DMs. Modals, ephemeral answers and slash commands'
    text are not kept."""
    chats = [m for m in typed if m.platform == "slack"]
    posts = []
    for call in calls:
        if call.method not in {"chat.postMessage", "chat.update"}:
            continue
        channel, body = str(call.args.get("channel")), json.dumps(call.args)
        if channel == committee:
            posts.append(ChannelPost(call.at, "slack", body))
        elif channel.startswith("D"):
            chats.append(ChatMessage(call.at, "slack", channel[1:], "to", body))
    return chats, posts


def teams_history(sent: list[Any], typed: list[ChatMessage], channel: str) -> tuple[list[ChatMessage], list[ChannelPost]]:
    """What Teams keeps: activities the bot posted or edited in a personal chat or in the
    committee channel, and what people typed. Dialogs (task/fetch, task/submit) are not chat items."""
    chats = [m for m in typed if m.platform == "teams"]
    posts: list[ChannelPost] = []
    member_of: dict[str, str] = {}
    created: list[str] = []
    for item in sent:
        path = item.path
        if item.method == "POST" and path.rstrip("/").endswith("/v3/conversations"):
            created += [str(m.get("id", "")).removeprefix("29:") for m in item.body.get("members", [])]
            continue
        found = re.search(r"/v3/conversations/([^/]+)/activities", path)
        if not found or item.method not in {"POST", "PUT"}:
            continue
        conversation, body = found[1], json.dumps(item.body)
        if conversation.startswith(channel) or channel in conversation:
            posts.append(ChannelPost(item.at, "teams", body))
        elif conversation.startswith("a:personal-"):
            chats.append(ChatMessage(item.at, "teams", conversation.removeprefix("a:personal-"), "to", body))
        else:
            if conversation not in member_of and created:
                member_of[conversation] = created.pop(0)
            chats.append(ChatMessage(item.at, "teams", member_of.get(conversation, conversation), "to", body))
    return chats, posts


# --- the attack ----------------------------------------------------------------------------------


def _moment(value: Any) -> float | None:
    """A written moment as a time; None for no time, or a day's start (a date only)."""
    if isinstance(value, datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=UTC)
    elif isinstance(value, str) and re.match(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d", value):
        try:
            stamp = datetime.fromisoformat(value.replace(" ", "T"))
        except ValueError:
            return None
        stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    else:
        return None
    if (stamp.hour, stamp.minute, stamp.second, stamp.microsecond) == (0, 0, 0, 0):
        return None
    return stamp.timestamp()


def _txn_time(txn: Txn, day: tuple[float, float]) -> tuple[float, float] | None:
    if txn.committed_at is not None:
        return txn.committed_at - 0.05, txn.committed_at
    moments = [m for row in txn.inserted + txn.updated for col in MOMENTS
               if (m := _moment(row.values.get(col))) is not None and day[0] - 3600 <= m <= day[1] + 3600]
    if not moments:
        return None
    latest = max(moments)
    whole = latest == int(latest)  # a time kept to the second (the audit log's) lies within that second
    return latest, latest + (1.0 if whole else 0.05)


def _bounds(position: int, times: dict[int, tuple[float, float]]) -> tuple[float, float]:
    before = [t[0] for order, t in times.items() if order < position]
    after = [t[1] for order, t in times.items() if order > position]
    return (max(before) if before else float("-inf"), min(after) if after else float("inf"))


class _People:
    """Who an identifier, a person id or a row names."""

    def __init__(self, given: Given) -> None:
        self.directory = {k: v for k, v in given.directory.items() if len(k) >= 5}
        self.by_id: dict[str, str] = {}
        for row in given.store.tables.get("person", []):
            officer = given.directory.get(str(row.values.get("email"))) or given.directory.get(str(row.values.get("name")))
            if officer:
                self.by_id[str(row.values.get("id"))] = officer

    def in_text(self, text: str) -> set[str]:
        found = {officer for key, officer in self.directory.items() if key in text}
        found |= {self.by_id[n] for n in re.findall(r"person:(\d+)", text) if n in self.by_id}
        return found

    def in_row(self, row: Row) -> set[str]:
        found: set[str] = set()
        for column, value in row.values.items():
            if isinstance(value, str):
                found |= self.in_text(value)
            if column in PERSON_COLUMNS and str(value) in self.by_id:
                found.add(self.by_id[str(value)])
        if row.table == "person" and str(row.values.get("id")) in self.by_id:
            found.add(self.by_id[str(row.values["id"])])
        if row.values.get("record_kind") == "person" and str(row.values.get("record_id")) in self.by_id:
            found.add(self.by_id[str(row.values["record_id"])])
        return found


def attack(given: Given) -> Ranking:
    store, findings = given.store, list(given.store.notes)
    people = _People(given)
    [report] = [r for r in store.tables["report"] if r.values.get("anonymous") in (1, True)]
    report_id, code = str(report.values["id"]), str(report.values["code"])
    times_seen = ([m.at for m in given.chats] + [p.at for p in given.posts]
                  + [line.at for line in given.log])
    day = (min(times_seen), max(times_seen))

    def rel(moment: float) -> str:
        return f"{moment - day[0]:.1f}"

    # The alert, and the relay's latency as named reports show it.
    alert = min(p.at for p in given.posts if code in p.text)
    latencies = []
    for named in store.tables["report"]:
        received = _moment(named.values.get("received_at"))
        posted = [p.at for p in given.posts if str(named.values["code"]) in p.text]
        if received is not None and posted and not named.values.get("anonymous"):
            latencies.append(min(posted) - received)
    latency = max(latencies) + 2.0 if latencies else DEFAULT_LATENCY
    intervals = {"alert": (alert - given.delay_seconds - latency, alert)}
    findings.append(f"anonymous report {code}: alert posted at {rel(alert)}; delay {given.delay_seconds:.0f} s, "
                    f"relay latency up to {latency:.1f} s")

    # The audit log's order.
    audit = sorted(store.tables.get("auditevent", []), key=lambda r: int(r.values["seq"]))
    submitted = [i for i, r in enumerate(audit) if r.values.get("record_id") == report_id
                 and r.values.get("action") == "report.submitted"]
    if submitted:
        i = submitted[0]
        before = [m for r in audit[:i] if (m := _moment(r.values.get("at"))) is not None]
        after = [m for r in audit[i + 1:] if (m := _moment(r.values.get("at"))) is not None]
        own = _moment(audit[i].values.get("at"))
        low = own if own is not None else (max(before) if before else float("-inf"))
        high = own + 1 if own is not None else (min(after) + 1 if after else float("inf"))
        intervals["audit order"] = (low, high)
        neighbours = [f"{r.values['seq']} {r.values['actor']} {r.values['action']} {r.values['record_kind']}:"
                      f"{r.values['record_id']}" for r in audit[max(0, i - 1):i + 2]]
        findings.append(f"audit neighbours of report.submitted: {neighbours}")

    # The write order.
    actions: list[Action] = []
    links: dict[str, list[str]] = {o: [] for o in given.officers}
    txn_times = {t.order: tt for t in store.txns if (tt := _txn_time(t, day)) is not None}
    naming = [t for t in store.txns if any(report_id in json.dumps(r.values, default=str) for r in t.rows())]
    if naming:
        recorded = naming[0]
        origins = [r.origin for r in recorded.deleted if r.origin is not None]
        submission = store.txns[min(origins)] if origins else recorded
        own = txn_times.get(submission.order)
        intervals["write order"] = own if own is not None else _bounds(submission.order, txn_times)
        for txn in (submission, recorded):
            for row in txn.rows():
                for officer in people.in_row(row) & set(given.officers):
                    links[officer].append(f"{row.table} in transaction {txn.order}")
        context = [f"#{t.order} {sorted(t.tables)} names {sorted({o for r in t.rows() for o in people.in_row(r)})}"
                   for t in store.txns[max(0, submission.order - 2):submission.order + 2]]
        findings.append(f"submission transaction #{submission.order} (recorded in #{recorded.order}) of "
                        f"{len(store.txns)}; around it: {context}")
    elif store.txns:
        findings.append("no transaction in the write order names the report")
    for txn in store.txns:
        named_here = {o for row in txn.rows() for o in people.in_row(row)} & set(given.officers)
        span = txn_times.get(txn.order) or _bounds(txn.order, txn_times)
        if named_here and all(abs(x) != float("inf") for x in span):
            tables = sorted({r.table for r in txn.rows() if people.in_row(r) & named_here})
            actions += [Action(o, span[0], span[1], f"write #{txn.order} {'+'.join(tables)}") for o in named_here]
    # Chats and logs.
    for message in given.chats:
        officer = given.directory.get(message.user)
        if officer in given.officers:
            actions.append(Action(officer, message.at, message.at, f"{message.platform} chat {message.direction}"))
    for line in given.log:
        for officer in people.in_text(line.text) & set(given.officers):
            actions.append(Action(officer, line.at, line.at, f"log line {line.number}"))

    # The score, stage by stage.
    stages: dict[str, tuple[float, float]] = {}
    known = (float("-inf"), float("inf"))
    for name, (low, high) in intervals.items():
        narrowed = (max(known[0], low), min(known[1], high))
        if narrowed[0] > narrowed[1]:
            findings.append(f"{name} ({rel(low)}..{rel(high)}) does not meet {rel(known[0])}..{rel(known[1])}: left out")
            continue
        known = narrowed
        stages["+" + name if stages else name] = known
        findings.append(f"T (the submission) after {name}: {rel(known[0])}..{rel(known[1])}")
    scores = []
    for officer in given.officers:
        mine = [a for a in actions if a.officer == officer]
        by_stage = {name: _mean_density(mine, interval, day, given.session_seconds)
                    for name, interval in stages.items()}
        final = list(by_stage.values())[-1] * (LINK if links[officer] else 1.0)
        by_stage["+same transaction"] = final
        scores.append(Score(officer, final, by_stage, mine, links[officer]))
    total = sum(s.posterior for s in scores) or 1.0
    for s in scores:
        s.posterior /= total
    scores.sort(key=lambda s: -s.posterior)
    return Ranking(scores, findings, origin=day[0])


def _mean_density(actions: list[Action], interval: tuple[float, float], day: tuple[float, float],
                  session: float) -> float:
    """The mean, over the interval T lies in, of the density of T under "this officer reported"."""
    low, high = interval
    length = day[1] - day[0]
    if high - low < 0.1:
        low, high = low - 0.05, high + 0.05
    steps = 400
    total = 0.0
    for k in range(steps):
        t = low + (high - low) * (k + 0.5) / steps
        if not actions:
            total += 1 / length
            continue
        visits = sum(1 / (a.end - a.start + 2 * session) for a in actions if a.start - session <= t <= a.end + session)
        total += Q * visits / len(actions) + (1 - Q) / length
    return total / steps
