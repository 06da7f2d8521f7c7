"""Notices Candor sends of its own accord and what an operator reads about them: the committee
channel's alert of a case, the scheduler's reminders and escalations, a notice that could not be
delivered, the fix for a platform's error code and the operators' outage e-mail. Never a case's
content, only counts, codes and names.
"""

from __future__ import annotations

_DUE_TITLES = {
    "attest-remind": "Reminder: your annual attestation to the Supplemental Code of Ethics is due. "
                     "Send `attest` to Candor.",
    "attest-overdue": "Your annual attestation is overdue. Please attest now: send `attest` to "
                      "Candor.",
    "attest-escalate": "An officer's annual attestation is overdue",
    "unacked": "A report is waiting for the committee's acknowledgement",
    "receipt-deadline": "The reporter must be told of receipt soon: please acknowledge the case",
    "feedback-deadline": "The reporter is due feedback on the case soon",
    "waiver-disclose": "A waiver of the Code must be disclosed publicly (Form 8-K or website)",
}


def due_title(kind: str) -> str:
    return _DUE_TITLES.get(kind, "Reminder from Candor")


# The facts a reminder or an escalation lists, by their labels (a case's and an officer's are
# `case_labels`', as on the alert).
FACT_DUE = "Due"
FACT_DAYS_OVERDUE = "Days overdue"
FACT_DAYS_LEFT = "Days left"
FACT_BUSINESS_DAYS_OVERDUE = "Business days overdue"
FACT_BUSINESS_DAYS_LEFT = "Business days left"
FACT_BUSINESS_DAYS_UNACKNOWLEDGED = "Business days unacknowledged"
FACT_ACKNOWLEDGE_BY = "Acknowledge receipt by"
FACT_FEEDBACK_BY = "Give feedback by"
FACT_GRANTED = "Granted"
FACT_DISCLOSE_BY = "Disclose by"


def delivery_no_route(platforms: str) -> str:
    return (f"A notice could not be delivered: the person it is for has no {platforms} id on the "
            "roster.")


def delivery_failed(kind: str, code: str) -> str:
    return f"A {kind} notice could not be delivered after repeated tries (platform said: {code})."


_FIXES = {
    "not_in_channel": "Invite the bot back into the committee's private channel (/invite @Candor "
                      "there).",
    "channel_not_found": "Check CANDOR_COMMITTEE_CHANNEL (the channel's id, from its details) and "
                         "invite the bot into that channel.",
    "is_archived": "Unarchive the committee channel, or make a new private channel, invite the bot "
                   "and set CANDOR_COMMITTEE_CHANNEL to its id.",
    "invalid_auth": "Slack refuses the bot's token: reinstall the app and put its Bot User OAuth "
                    "Token in SLACK_BOT_TOKEN.",
    "not_authed": "Slack got no token: set SLACK_BOT_TOKEN to the app's Bot User OAuth Token.",
    "token_revoked": "The bot's token was revoked: reinstall the app and put its new Bot User "
                     "OAuth Token in SLACK_BOT_TOKEN.",
    "account_inactive": "The Slack app was uninstalled or its owner deactivated: reinstall it and "
                        "replace SLACK_BOT_TOKEN.",
    "no_committee_channel": "No committee channel is configured: set CANDOR_COMMITTEE_CHANNEL "
                            "(Slack) or CANDOR_TEAMS_CHANNEL (Teams).",
    "bot_not_in_team": "Add the Candor app to the Audit Committee's team in Teams.",
    "http_401": "The Bot Connector refuses the bot's credentials: check MICROSOFT_APP_ID, "
                "MICROSOFT_APP_PASSWORD (an expired client secret?) and MICROSOFT_APP_TENANT_ID.",
    "http_403": "Teams refuses the post: add the Candor app back to the committee's team, and "
                "check that CANDOR_TEAMS_CHANNEL is a channel of that team.",
    "http_404": "Teams does not know the conversation: check CANDOR_TEAMS_CHANNEL and that the app "
                "is still installed in the team.",
}


def delivery_fix(code: str) -> str:
    """What an operator does about a platform's error code."""
    return _FIXES.get(code, "A temporary error: Candor keeps retrying. If it lasts, see the log "
                            "for this code.")


OUTAGE_EMAIL_SUBJECT = "Candor cannot reach the Audit Committee"


def outage_email(*, count: int, since: str, platform: str, cause: str) -> str:
    """The operators' e-mail about an outage: counts, a time, an error code and its fix. Never a
    case code, a category or anything about a report."""
    notices = "notice" if count == 1 else "notices"
    return (f"Candor has {count} {notices} for the Audit Committee that it cannot deliver in "
            f"{platform} since {since}.\n\nThe cause: {cause}.\nThe fix: {delivery_fix(cause)}\n\n"
            "Once fixed, the notices are delivered at once (or run `candor notify retry`). "
            "`candor status` shows what is waiting.\n")


# --- the committee channel's alert of a case (its facts are labelled as `case_labels`) ---------


def alert_title(code: str, *, new: bool) -> str:
    return f"New report {code}" if new else f"Report {code}"


ALERT_TEXT = "A concern was reported to the Audit Committee. Details open privately."


def alert_acknowledged(by: str, when: str) -> str:
    return f"{by}, {when}"


ALERT_ACKNOWLEDGE_BY = "Acknowledge by"

ALERT_RECEIPT_DUE = "Receipt confirmed to reporter by"

ALERT_FEEDBACK_DUE = "Feedback to reporter by"

# The button on an alert or a reminder that opens the case privately.
VIEW_DETAILS = "View details"

# The direct message of the escalation of a report not acknowledged in time: it stays in each
# member's chat, so it names no case, and every member gets it, those kept away from the case too
# (a member missing from it would show the chat's readers whom a report keeps away).
UNACKED_NUDGE_TITLE = "A report waits for the committee's acknowledgement"

UNACKED_NUDGE_TEXT = (
    "A report made to the Audit Committee has not been acknowledged in time. Members who may "
    "open it find it in their open cases."
)

OPEN_CASES = "Open cases"


# --- a notice that could not be delivered: its facts ------------------------------------------


NOTICE_LABEL = "Notice"

PERSON_LABEL = "Person"


def roster_id(person_id: int) -> str:
    """A person no longer on the roster, by the id they had there."""
    return f"roster id {person_id}"
