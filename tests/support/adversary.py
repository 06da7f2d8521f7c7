"""The linkage adversary (issue 11): given everything outside the key, who made the anonymous report?

It is given the store as tests/support/forensics.py reads it (every table, the write order of
the transactions, deleted rows, commit times where the backend keeps them); what
tests/support/observations.py records outside it (the server's log, the committee channels' posts
and every person's chat history, with times and user ids); and the platforms' directories (which
user id, e-mail or name is which officer: an administrator knows).
It also knows Candor's configuration (CANDOR_ANONYMOUS_DELAY_MINUTES) and its schema.

The attack, in steps:

1. The anonymous report is the `report` row marked anonymous. The first transaction that wrote a
   row naming its id recorded it; if that transaction deleted or changed rows written earlier (a
   pending submission consumed when the report is recorded later), the transactions that wrote
   those are the *submission* (T is one of their moments); otherwise it is the submission itself.
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
   likelihood of the evidence is the mean of that density over where T is known to lie, times
   UNKNOWN_YET for an officer Candor matched to no account until after the submission (the
   identity rows' write order), times LINK for one named in the submission transaction itself.
   Officers start equal.

5. Follow-ups: every later visit of the reporter the store shows (a `case.status_viewed` or
   `case.answer` audit row of the report, an answer `casemessage`) is an event of its own, dated
   the same way as the submission (the transaction that wrote it, or the held row it consumed) and
   scored the same way; the officers' likelihoods multiply across the submission and the visits.

6. A confidential report (`attack(..., target="confidential")`): the same steps for the `report`
   row marked confidential, and one more: Candor tells a confidential reporter "There is news on
   a report you made" when the committee acts on the case, and the channel shows those acts (an
   acknowledgement edits the alert). For each of them, at moment a, the reporter was sent such a
   message within [a, a + delay + latency]; an officer who was sent none there keeps MISSED of
   their likelihood (the message lost), one who was keeps it all.

`attack` returns the five officers, best first, with the score at each stage of evidence (so a
reader sees which signal moved whom) and the actions it found."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.support.forensics import Row, Store, Txn
from tests.support.observations import ChannelPost, ChatMessage, LogLine

Q = 0.5  # the chance a report is made in a visit the adversary sees
LINK = 50.0  # likelihood ratio of being named in the submission transaction itself
UNKNOWN_YET = 0.01  # likelihood ratio of an officer Candor had not matched to any account by then
MISSED = 0.01  # likelihood ratio of a confidential reporter sent no news after a committee act
NEWS = "There is news on a report you made"
DEFAULT_LATENCY = 5.0
# Columns that hold the moment their row was written (or last changed); an update's unchanged
# columns say nothing, so for a changed row only those it changed count (where the store tells).
MOMENTS = ("at", "created_at", "attested_at", "received_at", "acknowledged_at", "closed_at", "delivered_at",
           "seen_at", "updated_at", "split_at", "sealed_at", "replaced_at")
# Columns holding a roster person's id.
PERSON_COLUMNS = ("person_id", "author_id", "by_id", "acknowledged_by", "decided_by", "recorded_by", "subject_id")


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
               if (row.changed is None or col in row.changed)
               and (m := _moment(row.values.get(col))) is not None and day[0] - 3600 <= m <= day[1] + 3600]
    if not moments:
        return None
    latest = max(moments)
    whole = latest == int(latest)  # a time kept to the second (the audit log's) lies within that second
    return latest, latest + (1.0 if whole else 0.05)


def _bounds(position: int, times: dict[int, tuple[float, float]]) -> tuple[float, float]:
    """When a transaction whose own rows carry no time ran: after the latest dated one before it,
    before the earliest dated one after it."""
    before = [t[0] for order, t in times.items() if order < position]
    after = [t[1] for order, t in times.items() if order > position]
    return (max(before) if before else float("-inf"), min(after) if after else float("inf"))


Pieces = list[tuple[float, float]]  # T lies in one of these intervals


def _meet(a: Pieces, b: Pieces) -> Pieces:
    return [(max(x[0], y[0]), min(x[1], y[1])) for x in a for y in b if max(x[0], y[0]) <= min(x[1], y[1])]


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


def attack(given: Given, target: str = "anonymous") -> Ranking:
    """Rank the officers as the maker of the anonymous report, or (`target="confidential"`) of
    the confidential one."""
    store, findings = given.store, list(given.store.notes)
    people = _People(given)
    [report] = [r for r in store.tables["report"] if r.values.get(target) in (1, True)]
    times_seen = [m.at for m in given.chats] + [p.at for p in given.posts] + [line.at for line in given.log]
    day = (min(times_seen), max(times_seen))
    evidence: dict[str, Pieces] = {}
    evidence["alert"] = _after_the_alert(given, report, findings, day)
    write_order, links, submission, held = _write_order(given, people, str(report.values["id"]), findings, day)
    if held:  # recorded later from a pending row: the audit dates the recording, not the submission
        findings.append("audit order: report.submitted was written when the held report was recorded")
    else:
        evidence["audit order"] = _audit_order(store, str(report.values["id"]), findings)
    evidence["write order"] = write_order
    actions = _actions(given, people, day)
    raw = {name: sorted(key for key, officer in people.directory.items() if officer == name
                        and any(key.encode() in blob for blob in store.raw.values())) for name in given.officers}
    findings.append("in the raw bytes (" + ", ".join(store.raw) + "): "
                    + "; ".join(f"{name}: {', '.join(keys) or 'nothing'}" for name, keys in raw.items()))
    unknown = _not_yet_matched(given, people, submission)
    if unknown:
        findings.append(f"first matched to an account after the submission: {sorted(unknown)}")

    stages: dict[str, Pieces] = {}
    known: Pieces = [(float("-inf"), float("inf"))]
    for name, pieces in evidence.items():
        if not pieces:
            continue
        narrowed = _meet(known, pieces)
        if not narrowed:
            findings.append(f"{name} does not meet what was known before: left out")
            continue
        known = narrowed
        stages["+" + name if stages else name] = known
        findings.append(f"T (the submission) after {name}: "
                        + ", ".join(f"{p[0] - day[0]:.1f}..{p[1] - day[0]:.1f}" for p in known))
    visits = _follow_ups(given, people, str(report.values["id"]), findings, day)
    news = _committee_acts(given, report, findings, day) if target == "confidential" else []
    scores = []
    for officer in given.officers:
        mine = [a for a in actions if a.officer == officer]
        by_stage = {name: _mean_density(mine, pieces, day, given.session_seconds) for name, pieces in stages.items()}
        final = list(by_stage.values())[-1] * (UNKNOWN_YET if officer in unknown else 1.0)
        by_stage["+identity order"] = final
        final *= LINK if links[officer] else 1.0
        by_stage["+same transaction"] = final
        for n, (pieces, named) in enumerate(visits, 1):
            final *= _mean_density(mine, pieces, day, given.session_seconds) * (LINK if officer in named else 1.0)
            by_stage[f"+follow-up {n}"] = final
        for n, window in enumerate(news, 1):
            told = any(NEWS in m.text and m.direction == "to" and given.directory.get(m.user) == officer
                       and window[0] <= m.at <= window[1] for m in given.chats)
            final *= 1.0 if told else MISSED
            by_stage[f"+news {n}"] = final
        scores.append(Score(officer, final, by_stage, mine, links[officer]))
    total = sum(s.posterior for s in scores) or 1.0
    for score in scores:
        score.posterior /= total
    scores.sort(key=lambda s: -s.posterior)
    return Ranking(scores, findings, origin=day[0])


def _after_the_alert(given: Given, report: Row, findings: list[str], day: tuple[float, float]) -> Pieces:
    """The alert is posted at T + U(0, delay) + the relay's latency, which named reports show (their
    alert follows their exact `received_at`)."""
    code = str(report.values["code"])
    alert = min(p.at for p in given.posts if code in p.text)
    latencies = []
    for named in given.store.tables["report"]:
        received = _moment(named.values.get("received_at"))
        posted = [p.at for p in given.posts if str(named.values["code"]) in p.text]
        if received is not None and posted and not named.values.get("anonymous"):
            latencies.append(min(posted) - received)
    latency = max(latencies) + 2.0 if latencies else DEFAULT_LATENCY
    findings.append(f"report {code}: alert posted at {alert - day[0]:.1f}; delay "
                    f"{given.delay_seconds:.0f} s, relay latency up to {latency:.1f} s")
    return [(alert - given.delay_seconds - latency, alert)]


def _committee_acts(given: Given, report: Row, findings: list[str],
                    day: tuple[float, float]) -> Pieces:
    """The committee's acts on the case the channel shows (its posts after the alert, edits
    included), each with the window in which its news reached the reporter."""
    code = str(report.values["code"])
    acts = []
    for platform in sorted({p.platform for p in given.posts}):  # each channel's first post: the alert
        acts += sorted(p.at for p in given.posts if code in p.text and p.platform == platform)[1:]
    windows = [(at, at + given.delay_seconds + DEFAULT_LATENCY) for at in sorted(acts)]
    findings.append(f"committee acts on {code} in the channel at: "
                    + (", ".join(f"{w[0] - day[0]:.1f}" for w in windows) or "none"))
    return windows


def _audit_order(store: Store, report_id: str, findings: list[str]) -> Pieces:
    """The audit log is plain and numbered: `report.submitted` lies between its neighbours' times."""
    audit = sorted(store.tables.get("auditevent", []), key=lambda r: int(r.values["seq"]))
    submitted = [i for i, r in enumerate(audit) if r.values.get("record_id") == report_id
                 and r.values.get("action") == "report.submitted"]
    if not submitted:
        return []
    i = submitted[0]
    before = [m for r in audit[:i] if (m := _moment(r.values.get("at"))) is not None]
    after = [m for r in audit[i + 1:] if (m := _moment(r.values.get("at"))) is not None]
    own = _moment(audit[i].values.get("at"))
    low = own if own is not None else (max(before) if before else float("-inf"))
    high = own + 1 if own is not None else (min(after) + 1 if after else float("inf"))
    findings.append("audit neighbours of report.submitted: " + "; ".join(
        f"{r.values['seq']} {r.values['actor']} {r.values['action']} {r.values['record_kind']}:{r.values['record_id']}"
        for r in audit[max(0, i - 1):i + 2]))
    return [(low, high)]


def _write_order(given: Given, people: _People, report_id: str, findings: list[str],
                 day: tuple[float, float]) -> tuple[Pieces, dict[str, list[str]], int | None, bool]:
    """Where the submission sits in the write order, and who is named in it. The report is recorded
    by the first transaction writing a row that names its id; the submission is that transaction,
    or, if it consumed rows written earlier (deleted or changed them: a pending submission), one of
    the transactions that wrote those."""
    store = given.store
    links: dict[str, list[str]] = {o: [] for o in given.officers}
    naming = [t for t in store.txns if any(report_id in json.dumps(r.values, default=str) for r in t.rows())]
    if not naming:
        if store.txns:
            findings.append("no transaction in the write order names the report")
        return [], links, None, False
    recorded = naming[0]
    origins = sorted({r.origin for r in recorded.deleted + recorded.updated
                      if r.origin is not None and r.origin < recorded.order})
    submissions = [store.txns[o] for o in origins] or [recorded]
    times = {t.order: tt for t in store.txns if (tt := _txn_time(t, day)) is not None}
    pieces = [times.get(t.order) or _bounds(t.order, times) for t in submissions]
    for txn in [*submissions, recorded]:
        for row in txn.rows():
            for officer in people.in_row(row) & set(given.officers):
                links[officer].append(f"{row.table} in transaction #{txn.order}")
    for txn in submissions:
        context = [f"#{t.order} {'+'.join(sorted(t.tables))} naming {sorted({o for r in t.rows() for o in people.in_row(r)})}"
                   for t in store.txns[max(0, txn.order - 2):txn.order + 2]]
        findings.append(f"submission transaction #{txn.order} (the report recorded in #{recorded.order}) of "
                        f"{len(store.txns)}; around it: {'; '.join(context)}")
    return pieces, links, submissions[0].order, bool(origins)


FOLLOW_UPS = ("case.status_viewed", "case.answer")


def _follow_ups(given: Given, people: _People, report_id: str, findings: list[str],
                day: tuple[float, float]) -> list[tuple[Pieces, set[str]]]:
    """The reporter's later visits the write order shows: for each transaction that wrote a
    follow-up row of the report (or, when it consumed a held row written earlier, the transaction
    that wrote that), where it lies in time and which officers it names."""
    store = given.store
    writers: set[int] = set()
    for txn in store.txns:
        for row in txn.inserted:
            follow_up = ((row.table == "auditevent" and row.values.get("record_id") == report_id
                          and row.values.get("action") in FOLLOW_UPS)
                         or (row.table == "casemessage" and row.values.get("report_id") == report_id
                             and str(row.values.get("direction")).upper().endswith("ANSWER")))
            if follow_up:
                writers.add(txn.order)
    times = {t.order: tt for t in store.txns if (tt := _txn_time(t, day)) is not None}
    visits: list[tuple[Pieces, set[str]]] = []
    for order in sorted(writers):
        txn = store.txns[order]
        origins = sorted({r.origin for r in txn.deleted + txn.updated if r.origin is not None and r.origin < order})
        for source in [store.txns[o] for o in origins] or [txn]:
            low, high = times.get(source.order) or _bounds(source.order, times)
            span = (max(low, day[0]), min(high, day[1]))  # within the day the adversary watched
            named = {o for r in source.rows() for o in people.in_row(r)} & set(given.officers)
            visits.append(([span], named))
            findings.append(f"follow-up written in #{order}, made in #{source.order}: "
                            f"{span[0] - day[0]:.1f}..{span[1] - day[0]:.1f}; naming {sorted(named)}")
    if not writers:
        findings.append("no follow-up of the report in the write order")
    return visits


def _not_yet_matched(given: Given, people: _People, submission: int | None) -> set[str]:
    """Officers whose every `identity` row (the match of a platform account to them) was written
    after the submission: Candor did not know any account of theirs when the report came in."""
    if submission is None:
        return set()
    written = {(r.table, r.key): t.order for t in reversed(given.store.txns) for r in t.inserted}
    first: dict[str, float] = {}
    for row in given.store.tables.get("identity", []):
        for officer in people.in_row(row):
            order = written.get(("identity", row.key), -1.0)  # not written in the window: older
            first[officer] = min(first.get(officer, order), order)
    return {o for o, order in first.items() if order > submission and o in given.officers}


def _actions(given: Given, people: _People, day: tuple[float, float]) -> list[Action]:
    """Every moment an officer is seen: a transaction writing a row that names them (dated by its
    own times or its neighbours'), their chat messages, a log line naming them."""
    store, officers = given.store, set(given.officers)
    times = {t.order: tt for t in store.txns if (tt := _txn_time(t, day)) is not None}
    actions: list[Action] = []
    for txn in store.txns:
        named = {o for row in txn.rows() for o in people.in_row(row)} & officers
        span = times.get(txn.order) or _bounds(txn.order, times)
        if named and all(abs(x) != float("inf") for x in span):
            tables = "+".join(sorted({r.table for r in txn.rows() if people.in_row(r) & named}))
            actions += [Action(o, span[0], span[1], f"write #{txn.order} {tables}") for o in named]
    for message in given.chats:
        officer = given.directory.get(message.user)
        if officer in officers:
            actions.append(Action(officer, message.at, message.at, f"{message.platform} chat {message.direction}"))
    for line in given.log:
        for officer in people.in_text(line.text) & officers:
            actions.append(Action(officer, line.at, line.at, f"log line {line.number}"))
    return actions


def _mean_density(actions: list[Action], pieces: Pieces, day: tuple[float, float], session: float) -> float:
    """The mean, over where T may lie, of the density of T under "this officer reported"."""
    length = day[1] - day[0]
    points = []
    for low, high in pieces:
        if high - low < 0.1:
            low, high = low - 0.05, high + 0.05
        steps = max(1, int(200 * (high - low) / max(1e-9, sum(max(0.1, h - lo) for lo, h in pieces))))
        points += [low + (high - low) * (k + 0.5) / steps for k in range(steps)]
    total = 0.0
    for t in points:
        if not actions:
            total += 1 / length
            continue
        visits = sum(1 / (a.end - a.start + 2 * session) for a in actions if a.start - session <= t <= a.end + session)
        total += Q * visits / len(actions) + (1 - Q) / length
    return total / len(points)
