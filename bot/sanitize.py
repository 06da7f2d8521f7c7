"""The only producer of committee-channel notices, and the neutraliser of user text.

A channel notice is built from an allow-list of a report's plain facts: case code, category,
received time, due dates, status and who acknowledged. It never reads a sealed field, so the
narrative, the people named, the evidence and the reporter cannot reach a channel.

`neutralise` disarms mentions, links, bare domains and direction overrides in any user text the
core shows to a person, in a way that holds on every platform (adapters escape their own markup
on top).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from bot import actions
from bot.messages import Choice, Notice, Style
from bot.wording import attestations, case_labels, casework, governance, notices
from storage.vocabulary import CaseStatus, Category

ZWSP = "\u200b"
_LINKY = re.compile(r"(?i)(://|www\.|\]\(|mailto:)")
# Unicode's explicit direction embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069):
# the text after one can display backwards ("Trojan Source"), so a name, an amount or a date
# reads other than it was typed. They are dropped; the plain letters stay.
DIRECTION_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
_NO_DIRECTION_CONTROLS = str.maketrans(dict.fromkeys(DIRECTION_CONTROLS))
# A dot between a word and two or more letters ("example.com", "pay.evil.io"): Slack and Teams
# turn such a bare domain into a link. It is written "example[.]com", the usual way to quote a
# domain without linking it, visible (a zero-width break would be invisible but pasted along).
_DOMAIN_DOT = re.compile(r"(?<=\w)\.(?=[^\W\d_]{2})")
DEFANGED_DOT = "[.]"


def without_direction_controls(text: str) -> str:
    return text.translate(_NO_DIRECTION_CONTROLS)


def neutralise(text: str) -> str:
    """User text made inert: no mention (<!channel>, @here, <@U…>, <at>…</at>), link, bare
    domain or direction override survives."""
    # NUL first: dropped last, it could join two halves into a domain the steps below did not see
    text = without_direction_controls(text).replace("\x00", "")
    text = text.replace("<", "\u2039").replace(">", "\u203a")  # ‹ › : no <!here>, <@U1>, <at>
    text = text.replace("@", "@" + ZWSP)  # no @here / @channel / @name
    text = _LINKY.sub(lambda m: m.group(1)[0] + ZWSP + m.group(1)[1:], text)
    return _DOMAIN_DOT.sub(DEFANGED_DOT, text)


def preview(text: str, limit: int = 80) -> str:
    """A short, neutralised preview of user text (the review step shows this, not an echo)."""
    flat = " ".join(text.split())
    cut = flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
    return neutralise(cut)


@dataclass(frozen=True)
class AlertFacts:
    """What a channel alert may say about a case: plain columns only, never a sealed field."""

    report_id: str
    code: str
    category: Category
    status: CaseStatus
    received_at: datetime
    anonymous: bool  # an anonymous report is shown by its day only
    acknowledge_by: date
    receipt_due: date
    feedback_due: date
    acknowledged_by: str | None  # the committee member's roster name
    acknowledged_at: datetime | None


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def alert(facts: AlertFacts) -> Notice:
    """The notice for a new or updated case in the committee channel."""
    fields: list[tuple[str, str]] = [
        (case_labels.CASE, facts.code),
        (case_labels.CATEGORY, facts.category.label),
        (case_labels.RECEIVED, facts.received_at.strftime("%Y-%m-%d") if facts.anonymous
         else _when(facts.received_at)),
        (case_labels.STATUS, facts.status.label),
    ]
    if facts.acknowledged_by and facts.acknowledged_at:
        fields.append((case_labels.ACKNOWLEDGED,
                       notices.alert_acknowledged(facts.acknowledged_by,
                                                  _when(facts.acknowledged_at))))
    else:
        fields.append((notices.ALERT_ACKNOWLEDGE_BY, facts.acknowledge_by.isoformat()))
    fields.append((notices.ALERT_RECEIPT_DUE, facts.receipt_due.isoformat()))
    fields.append((notices.ALERT_FEEDBACK_DUE, facts.feedback_due.isoformat()))
    choices: list[Choice] = []
    if facts.status is CaseStatus.RECEIVED:
        choices.append(Choice(casework.ACKNOWLEDGE_BUTTON,
                              actions.Acknowledge(facts.report_id).encode(), Style.PRIMARY))
    choices.append(Choice(notices.VIEW_DETAILS, actions.ViewCase(facts.report_id).encode()))
    return Notice(
        title=notices.alert_title(facts.code, new=facts.status is CaseStatus.RECEIVED),
        text=notices.ALERT_TEXT,
        fields=tuple(fields),
        choices=tuple(choices),
    )


def reminder(title: str, facts: tuple[tuple[str, str], ...], *, report_id: str | None = None,
             waiver_id: str | None = None) -> Notice:
    """A reminder or escalation from the scheduler: a title from `bot.wording`, plain facts, and
    the button that acts on it (the case's details, or recording a waiver's disclosure)."""
    choices: tuple[Choice, ...] = ()
    if report_id:
        choices = (Choice(notices.VIEW_DETAILS, actions.ViewCase(report_id).encode()),)
    elif waiver_id:
        choices = (Choice(governance.RECORD_DISCLOSURE,
                          actions.DiscloseForm(waiver_id).encode()),)
    return Notice(title=title, fields=tuple((a, neutralise(b)) for a, b in facts), choices=choices)


def unacked_nudge() -> Notice:
    """The escalation's direct message to members: content-free, the same for everyone, and a
    button that lists the cases the member may open."""
    return Notice(title=notices.UNACKED_NUDGE_TITLE, text=notices.UNACKED_NUDGE_TEXT,
                  choices=(Choice(notices.OPEN_CASES, actions.Cmd("ethics", "cases").encode()),))


def attestation_notice(*, period: str, attested_on: date, needs: tuple[str, ...],
                       choice: Choice) -> Notice:
    """An attestation that needs the committee: the period, the day (never the moment: it would
    line up with the officer seen attesting then), and what kind of answer, never the officer's
    words (they open privately)."""
    return Notice(
        title=attestations.attest_notice_title(period),
        text=attestations.ATTEST_NOTICE_TEXT,
        fields=((attestations.ATTEST_PERIOD_LABEL, period),
                (attestations.ATTEST_ATTESTED_LABEL, attested_on.isoformat()),
                (attestations.ATTEST_NEEDS_REVIEW_LABEL, "; ".join(needs))),
        choices=(choice,),
    )

