"""Every sentence and every label a person reads, one module per area a person meets. Calm, short,
precise, written for a worried senior officer. A fixed sentence is a constant
(`refusals.CASE_NOT_FOUND`); one that takes facts is a function (`following.answer_recorded(code)`).

No function here is given report content: where user text appears in a reply, the caller has
passed it through `sanitize`. Callers import the modules they speak from by name and use them
qualified (`from bot.wording import refusals` ... `refusals.CASE_NOT_FOUND`):

  refusals    what any area says when it cannot do what was asked, and errors
  menus       menus, help, and how a command is typed on each platform
  reporting   the report conversation and form, the chat warnings, the receipt
  following   a reporter following their case: checking it, secrets, questions, news
  attestations  the annual attestation, and what the committee reads of a disclosure
  casework    the committee's work on a case: acknowledge, ask, move, keep away, hold
  case_labels the labels and headings of a case's three views
  governance  the Board's determinations and waivers of the Code
  notices     reminders, notices that cannot be delivered, the operators' outage e-mail
  windows     the words around a private window (a Slack modal, a Teams dialog)
  notes       a case's notes and its lead: the form, the headings, the lead's buttons and message
"""
