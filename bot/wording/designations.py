"""What members, designated persons and operators read about designations (issue 22): the
Designate, Renew and End buttons and forms, their refusals, the channel's content-free notice,
the designee's content-free direct messages, their home, menu and help, and how a determination
made by a designee reads.
"""

from __future__ import annotations

from datetime import date

from bot.messages import Surface

# --- buttons and forms (a member allowed on the case) ------------------------------------------

DESIGNATE_BUTTON = "Designate"


def end_button(name: str) -> str:
    return f"End designation: {name}"[:75]


def renew_button(name: str) -> str:
    return f"Renew: {name}"[:75]


def designate_title(code: str) -> str:
    return f"Designate on {code}"


def renew_title(code: str) -> str:
    return f"Renew on {code}"


def end_title(code: str) -> str:
    return f"End designation: {code}"


PERSON_PROMPT = "Who (the people the committee may designate)"
SCOPE_PROMPT = "What they may do"
UNTIL_PROMPT = "Until (at most a year from today)"
WHY_PROMPT = "Why (kept encrypted in the case file)"
END_WHY_PROMPT = "Why it ends (kept encrypted in the case file)"
DESIGNATE_SUBMIT = "Designate"
RENEW_SUBMIT = "Renew"
END_SUBMIT = "End designation"
DESIGNATE_INTRO = (
    "The person reads the case and its conversation and may ask the reporter questions through "
    "Candor; with 'investigate and determine' they may also record the Board's determination. "
    "They are told only that they were designated on this case; nothing else reaches a chat.")

NOBODY_TO_DESIGNATE = (
    "Nobody can be designated on this case: the roster's designees are already designated here "
    "or kept away from it (the roster's 'designees:' lists the people the committee may "
    "designate).")

NOT_IN_GROUP = (
    "Please choose a person from the roster's designees (outside counsel, accountants, internal "
    "audit). Nothing was recorded.")
KEPT_AWAY = (
    "That person is kept away from this case (by the reporter, a member or a determination) and "
    "cannot be designated on it. Nothing was recorded.")
ALREADY_DESIGNATED = "That person is already designated on this case: renew it instead."
UNTIL_IN_PAST = "That date is in the past. Please give the last day the designation holds."
NOT_AN_ACTIVE_DESIGNATION = "That designation has ended already; nothing was changed."


def until_too_far(last: date) -> str:
    return f"A designation holds at most a year: the latest date is {last.isoformat()}."


def designated(code: str, name: str, until: date) -> str:
    return (f"Done: {name} is designated on case {code} until {until.isoformat()}. They got a "
            "message saying only that, with a button to open the case.")


def renewed(code: str, name: str, until: date) -> str:
    return f"Done: {name}'s designation on case {code} now holds until {until.isoformat()}."


def ended(code: str, name: str) -> str:
    return f"Done: {name}'s designation on case {code} has ended. They were told, without detail."


# --- the committee's channel: content-free --------------------------------------------------


def channel_designated(code: str, by: str, affiliation: str, until: date, *,
                       determine: bool) -> str:
    what = "a designee to investigate and determine" if determine else "an investigator"
    return f"Case {code}: {by} designated {what} ({affiliation}) until {until.isoformat()}"


def channel_renewed(code: str, by: str, affiliation: str, until: date) -> str:
    return f"Case {code}: {by} renewed a designation ({affiliation}) until {until.isoformat()}"


def channel_ended(code: str, affiliation: str, why: str) -> str:
    return f"Case {code}: a designation ({affiliation}) ended ({why})"


# --- the designee's direct messages: content-free ------------------------------------------


def dm_designated(code: str) -> str:
    return f"The Audit Committee designated you on case {code}"


DM_DESIGNATED_TEXT = (
    "Open the case here; it shows in a window only you see. Everything you read and do on it "
    "stays inside Candor, and each opening is logged.")


def dm_renewed(code: str, until: date) -> str:
    return f"Your designation on case {code} was renewed until {until.isoformat()}"


def dm_ended(code: str) -> str:
    return f"Your designation on case {code} has ended"


DM_ENDED_TEXT = "The case no longer opens for you. Thank you for your work on it."


def dm_news(code: str) -> str:
    return f"There is news on case {code}"


DM_NEWS_TEXT = "Open the case to read it; it shows in a window only you see."
OPEN_BUTTON = "Open the case"

# --- the designee's own home, menu and help ---------------------------------------------------

HOME_TITLE = "Candor: your designated cases"
MY_CASES = "My designated cases"
NO_DESIGNATED_CASES = (
    "You are not designated on any case at the moment. When the Audit Committee designates you, "
    "a message tells you, with a button to open the case.")
MENU = "Hello. Candor shows you the cases the Audit Committee designated you on."
NOT_FOR_DESIGNEES = (
    "That is for the company's officers and the Audit Committee. As a designated person you can "
    "open the cases you are designated on.")


def designated_line(code: str, status: str, scope: str, until: date) -> str:
    return f"{code}: {status}; you may {scope}, until {until.isoformat()}"


def help_text(surface: Surface) -> str:
    cases = "`/ethics cases`" if surface.slash_commands else "`cases`"
    opening = "`/ethics open CODE`" if surface.slash_commands else "`open CODE`"
    return "\n".join([
        f"{surface.bold('Candor')}: the cases the Audit Committee designated you on.",
        f"• {cases}: your designated cases.",
        f"• {opening}: a case's details, privately (each opening is logged).",
        "In a case you can ask the reporter a question; if you were designated to determine, "
        "you can record the Board's determination.",
    ])


# --- a determination a designee made -------------------------------------------------------


def decided_by_designee(name: str, affiliation: str, designated_on: date, scope: str) -> str:
    return (f"{name} ({affiliation}), designated by the Audit Committee on "
            f"{designated_on.isoformat()} to {scope}")


INVESTIGATOR_ASKS = "The Audit Committee's investigator asks"

# --- the operator's command line ------------------------------------------------------------

NO_ACTIVE = "No designation is in force."
