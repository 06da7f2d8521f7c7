"""What a member (or a designee) reads about a case's notes and its lead: the Add note button and
form, the notes in the case's details and file, the latest recommendation, the Take the lead
buttons and answers, the lead in the case lists, and the lead's content-free deadline message.
"""

from __future__ import annotations

from datetime import date

# --- notes --------------------------------------------------------------------------------------

ADD_NOTE_BUTTON = "Add note"
NOTE_PROMPT = ("Your note: an interview summary, a finding, a next step (kept encrypted; members "
               "allowed on the case read it, the reporter never does)")
RECOMMENDATION_PROMPT = "Is this note a recommendation of an outcome?"
NOTE_SUBMIT = "Add note"


def note_title(code: str) -> str:
    return f"Note on {code}"


def note_added(code: str, *, recommendation: bool) -> str:
    what = "recommendation" if recommendation else "note"
    return (f"Your {what} on case {code} is recorded. Members allowed on the case read it in the "
            "case's details.")


NOTE, RECOMMENDATION = "Note", "Recommendation"
NOTE_ADDED_STEP, RECOMMENDATION_ADDED_STEP = "Note added", "Recommendation added"
NOTES = "Notes"
NO_NOTES = "None"
LATEST_RECOMMENDATION = "Latest recommendation"


def note_heading(what: str, on: date, author: str) -> str:
    """How every view heads a note: what it is, the day, who wrote it."""
    return f"{what}, {on.isoformat()} ({author})"


def latest_recommendation(author: str, on: date, text: str) -> str:
    return f"{author}, {on.isoformat()}: {text}"


# --- the lead -----------------------------------------------------------------------------------

LEAD = "Lead"
NO_LEAD = "No one yet"
TAKE_LEAD_BUTTON = "Take the lead"
TAKE_OVER_BUTTON = "Take over the lead"
HAND_BACK_BUTTON = "Hand back the lead"


def lead_taken(code: str, *, over: str | None) -> str:
    took = f"took over the lead from {over}" if over else "took the lead"
    return (f"You {took} on case {code}. You will also get its deadline reminders by direct "
            "message.")


def already_lead(code: str) -> str:
    return f"You already lead case {code}."


def lead_handed_back(code: str) -> str:
    return f"You handed back the lead on case {code}. No one leads it now."


def not_the_lead(code: str) -> str:
    return f"You do not lead case {code}, so there is nothing to hand back."


LEAD_MEMBERS_ONLY = "Only an Audit Committee member allowed on the case can lead it."


def with_lead(line: str, lead: str | None) -> str:
    """A case's line in a list, with who leads it (when someone does)."""
    return f"{line}; lead: {lead}" if lead else line


# The lead's direct message stays in their chat: it names no case, no category, no date.
_LEAD_DEADLINE_TITLES = {
    "receipt-deadline": "A case you lead must be acknowledged soon",
    "feedback-deadline": "The reporter of a case you lead is due feedback soon",
}
LEAD_DEADLINE_TEXT = "Open the case to see the deadline. Nothing about it is written here."
OPEN_BUTTON = "Open"


def lead_deadline_title(kind: str) -> str:
    return _LEAD_DEADLINE_TITLES.get(kind, "A case you lead has a deadline soon")
