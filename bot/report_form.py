"""The report form: the whole report at once (a Slack modal, a Teams card), and its check.

`form` builds it; `validate_form` turns a submission into a complete draft at the review step, or
names each field's problem (nothing is recorded). The text fields, their limits and check are
bot/report_content.py's table, the draft and the category's names the conversation's
(bot/intake.py), so a report typed in a chat and one sent through the form are held to the same
rules. Pure: touches bot.intake, bot.report_content, bot.actions, bot.messages and bot.wording.
"""

from __future__ import annotations

from typing import Any

from bot import actions
from bot.fields import FormReader
from bot.intake import Draft, Member, Step, category_of
from bot.messages import Choice, FieldKind, Form, FormField
from bot.report_content import FIELDS, KEEP_AWAY_AFTER, TextField, check_text
from bot.wording import confidential, refusals, reporting
from storage.vocabulary import Category, ReporterMode

CONFIDENTIAL = ReporterMode.CONFIDENTIAL.value  # the identity field's third value


def form(members: list[Member], *, once: str | None = None, quorum: int = 2) -> Form:
    """The whole report as one form (a Slack modal, a Teams card); `once` is a one-time token in
    its id, so the same form submitted twice files one report."""
    fields = [FormField("category", reporting.CATEGORY_LABEL, FieldKind.SELECT,
                        options=tuple(Choice(c.label, c.value) for c in Category))]
    for spec in FIELDS:
        fields.append(_text_field(spec))
        if spec.name == KEEP_AWAY_AFTER and members:
            fields.append(FormField(
                "exclude", reporting.EXCLUDE_LABEL, FieldKind.MULTISELECT, required=False,
                options=tuple(Choice(m.name, str(m.person_id)) for m in members),
                hint=reporting.EXCLUDE_HINT))
    # How the committee knows the reporter (issue 24): "no" is with the name and "yes" anonymous
    # (as this yes/no field has always sent), "confidential" the third way.
    fields.append(FormField("anonymous", confidential.IDENTITY_LABEL, FieldKind.BOOLEAN,
                            hint=confidential.identity_hint(quorum), options=IDENTITY_OPTIONS))
    return Form(actions.ReportForm(once or "").encode(), reporting.FORM_TITLE, tuple(fields),
                submit_label=reporting.FORM_SUBMIT,
                intro=reporting.INTAKE_FORM_INTRO)


IDENTITY_OPTIONS = (Choice(confidential.NAMED_CHOICE, "no"),
                    Choice(confidential.CONFIDENTIAL_CHOICE, CONFIDENTIAL),
                    Choice(confidential.ANONYMOUS_CHOICE, "yes"))


def _text_field(spec: TextField) -> FormField:
    return FormField(spec.name, spec.words.label,
                     FieldKind.MULTILINE if spec.multiline else FieldKind.TEXT,
                     required=spec.required, max_length=spec.limit, hint=spec.words.hint or None)


def validate_form(values: dict[str, Any], members: list[Member]) -> Draft | dict[str, str]:
    """A complete draft from a form submission, or field -> problem (nothing recorded)."""
    form = FormReader(values)
    errors = form.errors
    category = category_of(str(values.get("category") or "").lower())
    if category is None:
        form.refuse("category", reporting.CHOOSE_CATEGORY)
    texts: dict[str, str | None] = {}
    for spec in FIELDS:
        value = form.text(spec.name, limit=spec.limit,
                          missing=refusals.REQUIRED_FIELD if spec.required else None)
        problem = check_text(spec.name, value) if value and spec.name not in errors else None
        if problem:
            form.refuse(spec.name, problem)
        texts[spec.name] = value or None
    raw_exclude = values.get("exclude") or []
    if isinstance(raw_exclude, str):
        raw_exclude = [raw_exclude]
    allowed = {m.person_id for m in members}
    exclude: list[int] = []
    for item in raw_exclude if isinstance(raw_exclude, list) else []:
        try:
            pid = int(item)
        except (TypeError, ValueError):
            pid = -1
        if pid not in allowed:
            errors["exclude"] = refusals.NOT_UNDERSTOOD
        else:
            exclude.append(pid)
    if members and set(exclude) >= allowed:
        errors["exclude"] = reporting.EXCLUDE_NOT_EVERYONE
    chosen = values.get("anonymous")
    sealed = isinstance(chosen, str) and chosen.strip().lower() == CONFIDENTIAL
    anonymous = False if sealed else form.yes_no("anonymous",
                                                 missing=confidential.CHOOSE_IDENTITY)
    draft = Draft(step=Step.REVIEW, category=category, texts=texts,
                  exclude=tuple(sorted(set(exclude))), anonymous=anonymous, confidential=sealed)
    return errors or draft
