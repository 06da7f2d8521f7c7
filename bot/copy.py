"""Every sentence a reporter or a committee member reads, as small functions.

Calm, short, precise, written for a worried senior officer. No function here is given report
content: where user text appears in a reply, the caller has passed it through `sanitize`.
"""

from __future__ import annotations

from bot.messages import Surface, Window

# --- people the bot does not know ------------------------------------------------------------


def not_on_roster() -> str:
    return (
        "Candor serves the Senior Financial Officers and the Audit Committee, and I can't find you "
        "on its roster. If you think you should be on it, please ask the committee chair."
    )


def not_understood() -> str:
    return "Sorry, I didn't understand that. Please pick one of the options, or type \"help\"."


def attest_goes_to_committee() -> str:
    return ("What you disclosed goes to the Audit Committee privately: its channel is told only "
            "that an attestation needs review, never your words.")


def attest_needs_disclosure() -> str:
    return "a disclosure"


def attest_needs_conflict() -> str:
    return "a conflict of interest"


def attest_needs_exception() -> str:
    return "an exception to compliance"


def attest_needs_unreported() -> str:
    return "a matter known but not reported"


def view_disclosure() -> str:
    return "View attestation"


def answer_window_closed(surface: Surface) -> str:
    return ("This answer window has closed, so nothing was sent yet. Please copy your answer, open "
            f"your case again ({ethics('status CODE', surface)}, with your secret if you reported "
            "anonymously) and answer from there.")


def attest_form_already_submitted() -> str:
    return "This attestation form was already submitted and your attestation is recorded. Thank you."


def intake_in_progress() -> str:
    return ("You have a report in progress, and it is kept. Here is where we were; type \"cancel\" "
            "if you would rather start over.")


def status_too_many_guesses() -> str:
    return ("Too many case checks have failed lately, so checking is paused for now. Try again in "
            "an hour or two, with the code and secret exactly as they were shown to you.")


def form_expired() -> str:
    return ("This form was opened too long ago to be sent. Copy what you wrote, open a new one and "
            "send that; nothing was recorded from this one.")


def form_already_submitted() -> str:
    return ("This form was already submitted and your report is recorded; nothing was filed twice. "
            "To report something else, start a new report.")


def exclude_not_everyone() -> str:
    return ("At least one member of the Audit Committee must be able to read your report, so I "
            "can't keep all of them away. If you believe the whole committee is involved, you may "
            "also take your concern to the company's outside counsel or to a regulator; nothing in "
            "the Code stops you.")


def view_shortened() -> str:
    return "Shortened to fit here. Nothing is lost: the full record is kept, and the committee's case file holds all of it."


def open_form_label() -> str:
    return "Open the form"


def form_opens_in_window(title: str) -> str:
    return f"{title}: the form opens in its own window, so nothing you type stays in this chat."


def open_document_label() -> str:
    return "Open"


def document_opens_in_window(title: str) -> str:
    return f"{title}: it opens in its own window, so nothing of it stays in this chat."


def chat_report_warning() -> str:
    return ("What you type here stays in this chat's history, which your workspace's administrators "
            "can export. The form above leaves nothing here. If you still prefer to type your report "
            "in this chat, choose below.")


def chat_report_choice() -> str:
    return "Type it here instead"


def intake_anonymous_in_chat() -> str:
    return ("Anonymously, then: Candor will keep nothing that says who you are. But this chat itself "
            "links these messages to your account, for anyone who can read or export its history. "
            "For a report that nothing links to you, type \"cancel\" and use the form instead "
            "(`/ethics report`).")


def _private_status(surface: Surface) -> str:
    if surface.window is Window.DIALOG:
        return ("type `status` and use the *Check a case* button: what you type in its window is "
                "not kept in the chat.")
    return f"{ethics('status CODE SECRET', surface)}: a command's text is not kept in the chat."


def secret_exposed(surface: Surface) -> str:
    if surface.window is Window.DIALOG:
        return ("You typed your secret into a chat message, and this chat keeps its history (your "
                "organisation's administrators can search and export it). So the case is not shown "
                "here, and that secret no longer works. Your new secret opens below, in a window for "
                "you only. Next time, " + _private_status(surface))
    return ("You typed your secret into a chat message, and this chat keeps its history (your "
            "workspace's administrators can export it). So the case is not shown here, and that "
            "secret no longer works. Your new secret is shown below, to you only. Next time, use "
            f"{ethics('status CODE SECRET', surface)}: a command's text is not kept in the chat.")


def secret_typed_not_shown(surface: Surface) -> str:
    if surface.window is Window.DIALOG:
        return ("Nothing is shown here: this chat keeps its history, and a secret typed into it could "
                "be read later. Please " + _private_status(surface) + " Check the code and the secret.")
    return ("Nothing is shown here: this chat keeps its history, and a secret typed into it could be "
            f"read later. Please use {ethics('status CODE SECRET', surface)} instead (a command's "
            "text is not kept), and check the code and the secret.")


def new_secret_title() -> str:
    return "Your new secret"


def new_secret(code: str, secret: str, surface: Surface) -> str:
    return (f"Case *{code}*. Your new secret: *{secret}*\nIt is shown this once and only to you; "
            "the old one no longer works. Keep it somewhere safe, outside this chat, and use it "
            + ("in the *Check a case* window (type `status`)." if surface.window is Window.DIALOG
               else f"with {ethics('status CODE SECRET', surface)}."))


def news_for_reporter() -> str:
    return "There is news on a report you made"


def news_for_reporter_detail() -> str:
    return ("The details open in a window, never in this chat: a question from the Audit Committee, "
            "or where your case stands.")


def open_my_reports() -> str:
    return "Open my reports"


def my_reports_title() -> str:
    return "Your named reports"


def my_reports_heading() -> str:
    return "Cases"


def no_named_reports() -> str:
    return "None. Anonymous reports are not listed: open them with their code and secret."


def internal_error() -> str:
    return (
        "Something went wrong on my side and nothing was recorded. Please try again in a "
        "minute; if it keeps happening, tell the committee chair (no details of your concern "
        "are needed)."
    )


def text_too_large() -> str:
    return "That message is too long for me to read. Please send it in shorter parts."


# --- menus and help ---------------------------------------------------------------------------


def menu_officer() -> str:
    return "Hello. What would you like to do? Everything you tell me goes only to the Audit Committee."


def menu_committee() -> str:
    return "Hello. What would you like to do?"


def ethics(words: str, surface: Surface) -> str:
    """How a person types an /ethics command where they are (a chat without slash commands takes
    the words alone)."""
    return f"`/ethics {words}`" if surface.slash_commands else f"`{words}`"


def form_command(surface: Surface) -> str:
    """The words that open the report form: without slash commands, `report` alone starts the
    conversation."""
    return "`/ethics report`" if surface.slash_commands else "`ethics report`"


def attest_command(surface: Surface) -> str:
    return "`/attest`" if surface.slash_commands else "`attest`"


def help_text(*, committee: bool, surface: Surface) -> str:
    lines = [
        "*Candor* brings concerns to the Audit Committee, in confidence.",
        f"• `report` (or {form_command(surface)} for a form): report a concern, with your name or anonymously.",
        ("• `status`: the *Check a case* window, for your case's code (and secret), its status and the "
         "committee's questions. Never type your secret into this chat."
         if surface.window is Window.DIALOG else
         f"• {ethics('status CODE [SECRET]', surface)}: see your case's status and answer the committee."),
        f"• {attest_command(surface)}: your annual attestation to the Supplemental Code of Ethics.",
    ]
    if committee:
        lines += [
            f"• {ethics('cases', surface)}: the open cases.",
            f"• {ethics('open CODE', surface)}: a case's details, privately (each opening is logged).",
            f"• {ethics('waiver', surface)}: record a waiver of the Code; {ethics('waivers', surface)}: "
            "the waiver register.",
        ]
    lines.append("Type `cancel` at any step to stop; nothing is sent until you submit.")
    if surface.keeps_history and surface.window is not None:
        readers = ("your organisation's administrators can search and export"
                   if surface.history_searched else "your workspace's administrators can export")
        shown = ("windows only you see" if surface.window is Window.DIALOG
                 else "windows (or as answers only you see)")
        lines.append(
            "Where things are kept: what you type in this chat and the bot's messages here stay in "
            f"its history, which {readers}. Forms, case details, receipts and secrets open in "
            f"{shown} and stay out of it. Candor keeps your report encrypted.")
    return "\n".join(lines)


# --- intake -----------------------------------------------------------------------------------


def intake_welcome() -> str:
    return (
        "Thank you for speaking up. I'll ask a few short questions; you can type \"back\", "
        "\"cancel\" or \"help\" at any step. Nothing reaches the committee until you submit, "
        "and you can choose to stay anonymous at the end."
    )


def intake_category() -> str:
    return "What is your concern about?"


_QUESTIONS = {
    "what": "What happened? Please describe it in your own words.",
    "who": "Who is involved? Names and roles help the committee.",
    "when": "When did it happen, or over what period?",
    "evidence": "What evidence exists, and where can the committee find it?",
    "known": "Does anyone else already know about this (a manager, the auditors, a regulator)?",
}


def intake_question(name: str, limit: int) -> str:
    optional = "" if name == "what" else " You can skip this."
    return f"{_QUESTIONS[name]} (up to {limit} characters.){optional}"


def intake_exclude(chosen: int) -> str:
    base = (
        "If this concern involves a member of the Audit Committee, choose them here: they will "
        "not see the report or get any message about it (the committee's channel shows every "
        "member a case's code and category only). Choose \"Done\" when finished."
    )
    return base if not chosen else f"{base} ({chosen} chosen.)"


def intake_identity() -> str:
    return (
        "Would you like to give your name? If you report anonymously, I will not keep who you "
        "are; you'll get a case code and a secret to follow the case instead."
    )


def intake_review(summary: str) -> str:
    return f"Please check your report before it goes to the Audit Committee:\n{summary}"


def intake_cancelled() -> str:
    return "Cancelled. Nothing was sent and your draft is deleted."


def intake_help(step: str) -> str:
    return (
        "Your answers are encrypted and go only to the Audit Committee. Answer the question "
        "below, or type \"back\" to change the previous answer, or \"cancel\" to stop."
        + (" You can also type \"skip\"." if step not in {"what", "category"} else "")
    )


def intake_form_intro() -> str:
    return (
        "Your report goes only to the Audit Committee, encrypted. If you report anonymously, "
        "Candor keeps nothing that identifies you."
    )


def intake_draft_expired() -> str:
    return "Your earlier draft expired after a day or more without changes and was deleted."


def hint(name: str) -> str:
    return {
        "what": "Facts are most helpful: what, where, how much.",
        "who": "Names and roles, if you know them.",
        "exclude": "They will not see this report or get any message about it; the committee's "
                   "channel shows every member only its code and category.",
        "anonymous": "If yes, Candor keeps nothing that identifies you.",
    }.get(name, "")


def too_long(limit: int, length: int) -> str:
    return f"That is {length} characters; the limit here is {limit}. Please shorten it."


def too_short_what() -> str:
    return "Please describe what happened in a sentence or two, so the committee can act on it."


def unreadable_text() -> str:
    return "I couldn't read that text. Please type it again."


def required_field() -> str:
    return "This one is needed for the committee to act. Please answer it."


def choose_category() -> str:
    return "Please choose what the concern is about."


def choose_identity() -> str:
    return "Please choose whether to report with your name or anonymously."


def receipt_title() -> str:
    return "Report received"


def receipt_heading() -> str:
    return "Receipt"


def _receipt_kept(surface: Surface) -> str:
    if not surface.keeps_history or surface.window is None:
        return ""
    where = "only in this window" if surface.window is Window.DIALOG else "only to you"
    search = ", which your organisation can search and export" if surface.history_searched else ""
    return (f" This receipt is shown {where} and is not kept in your chat with Candor; "
            f"any message you typed in that chat stays in its history{search}.")


def receipt_named(code: str, surface: Surface) -> str:
    return (
        f"Your report is recorded, encrypted, as case *{code}*. The Audit Committee has been "
        "alerted. When they acknowledge it or have a question, I'll send you a note without "
        f"details. You can check it any time with {ethics(f'status {code}', surface)}."
        + _receipt_kept(surface)
    )


def receipt_anonymous(code: str, secret: str, surface: Surface, *, delay_minutes: int = 0) -> str:
    return (
        f"Your report is recorded, encrypted, as case *{code}*, and Candor kept nothing that "
        "identifies you."
        + (f" The committee is told of it after a random delay of up to {delay_minutes} minutes, so "
           "the time you made it does not point at you." if delay_minutes else "")
        + f"\nYour secret: *{secret}*\nIt is shown this once: write it down or keep "
        "it somewhere safe, outside any chat. "
        + ("Type `status` and use the *Check a case* window with your code and secret: there you"
           if surface.window is Window.DIALOG
           else f"With {ethics(f'status {code} {secret}', surface)} you")
        + " can see the committee's questions and answer them. Without the secret, nobody (not even "
        "you) can reach the case as its reporter." + _receipt_kept(surface)
    )


# --- follow-up --------------------------------------------------------------------------------


def status_usage(surface: Surface) -> str:
    return ("Please give the case code, and the secret if you reported anonymously: "
            f"{ethics('status CODE [SECRET]', surface)}.")


def case_not_found() -> str:
    # One answer for every failure, so a guess learns nothing about which codes exist.
    return "I couldn't open that case with what you gave me. Check the code (and the secret, for an anonymous report)."


def case_no_questions_yet() -> str:
    return "The committee has not asked anything yet."


def too_many_attempts() -> str:
    return "Too many attempts. Please wait a few minutes and try again."


def answer_recorded(code: str) -> str:
    return f"Your answer on case {code} is recorded and the committee has been told."


def answer_prompt() -> str:
    return "Your answer to the committee"


# --- attestation ------------------------------------------------------------------------------


def attest_only_officers() -> str:
    return "The annual attestation is for the Senior Financial Officers on the roster."


def attest_already(period: str, when: str, opens_on: str) -> str:
    return (f"You have already attested for {period} (on {when}). Thank you. "
            f"The next attestation opens on {opens_on}.")


def attest_home_done(period: str, when: str, opens_on: str) -> str:
    return f"Attested for {period} on {when}. The next attestation opens on {opens_on}."


def attest_home_due(period: str, due: str, *, overdue: bool) -> str:
    if overdue:
        return f"Your attestation for {period} was due on {due} and is overdue: please attest now."
    return f"Your attestation for {period} is due by {due}."


def attest_home_unscheduled() -> str:
    return "No attestation date is set for you; you can attest for this year at any time."


def attest_recorded(period: str, next_due: str) -> str:
    return f"Thank you. Your attestation for {period} is recorded. The next one is due by {next_due}."


def attest_offer_report() -> str:
    return ("You said you know of a matter that has not been reported. Before you go on: a report "
            "made right now could be linked in time to this attestation, which is recorded with "
            "your name. Waiting a day or more hides that link, above all for an anonymous report. "
            "Would you like to report it now?")


def attest_disclosure_hint() -> str:
    return "Required if you answered no to complying or to conflicts of interest."


def attest_must_read() -> str:
    return "Please read the Code first; you can attest once you have read and understood it."


def attest_explain() -> str:
    return "Please describe the conflict of interest or the exception here."


def answer_yes_no() -> str:
    return "Please answer yes or no."


# --- committee --------------------------------------------------------------------------------


def open_in_dialog() -> str:
    return "Open (only you see it)"


def view_gone() -> str:
    # The same words whether it was opened already, waited too long, or is someone else's: the
    # answer says nothing about a window that is not yours.
    return ("Nothing to show here: this window opens once, for the person it was made for, within "
            "10 minutes, and is then gone from Candor. Ask again for what you need.")


def status_form_title() -> str:
    return "Check a case"


def status_form_code() -> str:
    return "Case code"


def status_form_secret() -> str:
    return "Your secret (if you reported anonymously)"


def status_form_submit() -> str:
    return "Show the case"


def status_check_offer() -> str:
    return ("Check a case in a window only you see: what you type there (your code and secret) is "
            "not kept in this chat.")


def sent_privately() -> str:
    return "Sent to you privately."


def committee_only() -> str:
    return "That is for members of the Audit Committee."


def not_allowed_record() -> str:
    return ("You can't open this: it concerns an officer of a case you are kept away from. "
            "The refusal was logged.")


def not_allowed_case() -> str:
    return "You can't open this case. The refusal was logged."


def acknowledged(code: str) -> str:
    return f"You acknowledged case {code}. The channel message shows it."


def already_acknowledged(code: str, by: str) -> str:
    return f"Case {code} was already acknowledged by {by}."


def question_sent(code: str, anonymous: bool) -> str:
    if anonymous:
        return f"Your question on case {code} is recorded. The anonymous reporter sees it when they check the case with their code and secret."
    return f"Your question on case {code} was sent to the reporter."


def question_prompt() -> str:
    return "Your question for the reporter"


def status_moved(code: str, status: str) -> str:
    return f"Case {code} is now: {status}."


def status_reason_prompt() -> str:
    return "The reason (kept encrypted in the case file)"


def status_not_allowed(current: str, wanted: str) -> str:
    return f"A case that is {current} can't move to {wanted}."


def no_open_cases() -> str:
    return "There are no open cases."


def answer_for_committee(code: str) -> str:
    return f"The reporter answered the committee's question on case {code}"


def delivery_no_route(platforms: str) -> str:
    return f"A notice could not be delivered: the person it is for has no {platforms} id on the roster."


def delivery_failed(kind: str, code: str) -> str:
    return f"A {kind} notice could not be delivered after repeated tries (platform said: {code})."


# --- operators: notices that cannot get through ---------------------------------------------

_FIXES = {
    "not_in_channel": "Invite the bot back into the committee's private channel (/invite @Candor there).",
    "channel_not_found": "Check CANDOR_COMMITTEE_CHANNEL (the channel's id, from its details) and invite the bot into that channel.",
    "is_archived": "Unarchive the committee channel, or make a new private channel, invite the bot and set CANDOR_COMMITTEE_CHANNEL to its id.",
    "invalid_auth": "Slack refuses the bot's token: reinstall the app and put its Bot User OAuth Token in SLACK_BOT_TOKEN.",
    "not_authed": "Slack got no token: set SLACK_BOT_TOKEN to the app's Bot User OAuth Token.",
    "token_revoked": "The bot's token was revoked: reinstall the app and put its new Bot User OAuth Token in SLACK_BOT_TOKEN.",
    "account_inactive": "The Slack app was uninstalled or its owner deactivated: reinstall it and replace SLACK_BOT_TOKEN.",
    "no_committee_channel": "No committee channel is configured: set CANDOR_COMMITTEE_CHANNEL (Slack) or CANDOR_TEAMS_CHANNEL (Teams).",
    "bot_not_in_team": "Add the Candor app to the Audit Committee's team in Teams.",
    "http_401": "The Bot Connector refuses the bot's credentials: check MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD (an expired client secret?) and MICROSOFT_APP_TENANT_ID.",
    "http_403": "Teams refuses the post: add the Candor app back to the committee's team, and check that CANDOR_TEAMS_CHANNEL is a channel of that team.",
    "http_404": "Teams does not know the conversation: check CANDOR_TEAMS_CHANNEL and that the app is still installed in the team.",
}


def delivery_fix(code: str) -> str:
    """What an operator does about a platform's error code."""
    return _FIXES.get(code, "A temporary error: Candor keeps retrying. If it lasts, see the log for this code.")


def outage_email_subject() -> str:
    return "Candor cannot reach the Audit Committee"


def outage_email(*, count: int, since: str, platform: str, cause: str) -> str:
    """The operators' e-mail about an outage: counts, a time, an error code and its fix. Never a
    case code, a category or anything about a report."""
    notices = "notice" if count == 1 else "notices"
    return (f"Candor has {count} {notices} for the Audit Committee that it cannot deliver in {platform} "
            f"since {since}.\n\nThe cause: {cause}.\nThe fix: {delivery_fix(cause)}\n\n"
            "Once fixed, the notices are delivered at once (or run `candor notify retry`). "
            "`candor status` shows what is waiting.\n")


# --- the scheduler's reminders and escalations -------------------------------------------------

_DUE_TITLES = {
    "attest-remind": "Reminder: your annual attestation to the Supplemental Code of Ethics is due. Send `attest` to Candor.",
    "attest-overdue": "Your annual attestation is overdue. Please attest now: send `attest` to Candor.",
    "attest-escalate": "An officer's annual attestation is overdue",
    "unacked": "A report is waiting for the committee's acknowledgement",
    "receipt-deadline": "The reporter must be told of receipt soon: please acknowledge the case",
    "feedback-deadline": "The reporter is due feedback on the case soon",
    "waiver-disclose": "A waiver of the Code must be disclosed publicly (Form 8-K or website)",
}


def due_title(kind: str) -> str:
    return _DUE_TITLES.get(kind, "Reminder from Candor")


# --- the Board's determinations ------------------------------------------------------------------

# Each factor the Code's "Administration" section names, as a sentence refers to it: a refusal
# asks for it ("Please record the nature and ..."), and a case's views show it, capitalised, as
# the label of what the Board found.
DETERMINATION_FACTORS: dict[str, str] = {
    "nature": "the nature and severity of the violation",
    "occurrence": "whether it was a single occurrence or repeated occurrences",
    "intent": "whether it appears intentional or inadvertent",
    "advised": "whether the officer had been advised beforehand of the proper course",
    "prior": "the officer's prior violations",
}


def determination_intro(prior: str) -> str:
    return (
        "Record the Board's determination on this case. The Code asks the Board to weigh each "
        "factor below; the factors and the reasoning are kept encrypted in the case file.\n"
        f"Earlier determinations against the officers on the roster:\n{prior}"
    )


def no_prior_determinations() -> str:
    return "None recorded."


def factor_missing(factor: str) -> str:
    return f"Please record {factor}: the Code asks the Board to weigh it. Nothing was recorded."


def action_not_in_code(choices: str) -> str:
    return f"That action is not one the Code lists. Choose one of: {choices}. Nothing was recorded."


def action_needs_violation() -> str:
    return "\"No action\" fits only when no material violation occurred. Please choose the action taken."


def action_without_violation() -> str:
    return "With no material violation, the action is \"No action\". Please change one of the two."


def choose_officer() -> str:
    return "Please choose the officer from the roster. Nothing was recorded."


def date_invalid() -> str:
    return "Please give the date as YYYY-MM-DD."


def date_in_future() -> str:
    return "That date is in the future. Please give the date it happened."


def date_too_early(earliest: str) -> str:
    return f"That date is before {earliest}; please check the year."


def determination_recorded(code: str) -> str:
    return f"The Board's determination on case {code} is recorded, encrypted, in the case file."


# --- waivers ------------------------------------------------------------------------------------


def waiver_provision_missing() -> str:
    return (
        "A waiver must name the provision of the Code it waives (for example \"Obligation 3\"). "
        "Nothing was recorded."
    )


def waiver_granted_by_missing() -> str:
    return "Please say who granted the waiver (for example \"the Board of Directors\")."


def waiver_reason_missing() -> str:
    return "Please give the reason for the waiver; it is kept encrypted."


def waiver_recorded(officer: str, deadline: str) -> str:
    return (
        f"The waiver for {officer} is recorded. It must be disclosed publicly (Form 8-K or the "
        f"company's website) by {deadline}; Candor reminds the committee until it is."
    )


def waiver_not_found() -> str:
    return "I couldn't find that waiver."


def waiver_already_disclosed(on: str) -> str:
    return f"That waiver's disclosure was already recorded (on {on})."


def waiver_ref_missing() -> str:
    return "Please give the Form 8-K reference or the web address where the waiver is disclosed."


def waiver_disclosed_before_grant() -> str:
    return "The disclosure can't be dated before the waiver was granted."


def waiver_disclosed(officer: str, on: str) -> str:
    return f"The disclosure of the waiver for {officer} is recorded ({on})."


def no_waivers() -> str:
    return "No waivers of the Code are recorded."


# --- conflicts, legal hold --------------------------------------------------------------------


def chair_only() -> str:
    return "That is for the committee chair."


def exclusion_prompt() -> str:
    return ("The member to keep away from this case (they will not see it or get any message about "
            "it; the channel's alert shows every member its code and category only)")


def exclusion_nobody_left() -> str:
    return "Every other member is already kept away from this case."


def exclusion_added(code: str) -> str:
    return f"Done: that member is kept away from case {code}. Only you can see this."


def hold_reason_prompt() -> str:
    return "The reason (kept encrypted in the case file)"


def hold_set(code: str) -> str:
    return f"Case {code} is under legal hold: it will not be shredded until the hold is released."


def hold_released(code: str) -> str:
    return f"The legal hold on case {code} is released; the retention period applies again."
