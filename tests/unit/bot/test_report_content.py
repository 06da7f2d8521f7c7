"""One table of a report's fields: the conversation, the form, the review and the sealed record
all read it, and the record survives sealing's JSON."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot import intake, report_form
from bot.intake import Draft, Member, Step
from bot.report_content import FIELDS, KEEP_AWAY_AFTER, NamedReporter, ReportContent
from storage.vocabulary import Category

MEMBERS = [Member(10, "Lee Park"), Member(11, "Alex Kim")]


def test_the_conversation_asks_every_field_of_the_table_in_its_order():
    names = [f.name for f in FIELDS]
    keep_away = names.index(KEEP_AWAY_AFTER) + 1
    assert intake.ORDER == (Step.CATEGORY, *names[:keep_away], Step.EXCLUDE, *names[keep_away:],
                            Step.IDENTITY, Step.REVIEW)
    for spec in FIELDS:
        [question] = intake.prompt(Draft(step=spec.name), MEMBERS)
        assert spec.words.question in question.prompt and str(spec.limit) in question.prompt


def test_the_form_offers_every_field_with_its_label_limit_and_whether_it_is_required():
    form = report_form.form(MEMBERS)
    shown = {f.name: f for f in form.fields}
    for spec in FIELDS:
        assert (shown[spec.name].label, shown[spec.name].max_length, shown[spec.name].required) == (
            spec.words.label, spec.limit, spec.required)
    order = [f.name for f in form.fields]
    assert order.index("exclude") == order.index(KEEP_AWAY_AFTER) + 1


def test_the_review_says_of_every_field_whether_it_was_given_never_what():
    texts = {f.name: f"typed {f.name} canary-7c1" for f in FIELDS}
    review = intake.review(Draft(step=Step.REVIEW, category=Category.FRAUD, texts=texts,
                                 anonymous=False), MEMBERS)
    facts = dict(review.facts)
    assert all(facts[f.words.heading] == "given" for f in FIELDS)
    assert "canary-7c1" not in review.text


def test_a_form_submission_fills_the_same_draft_fields():
    values = {"category": "fraud", "anonymous": "no",
              **{f.name: f"{f.name} answer, long enough" for f in FIELDS}}
    draft = report_form.validate_form(values, MEMBERS)
    assert isinstance(draft, Draft)
    assert all(draft.text(f.name) == f"{f.name} answer, long enough" for f in FIELDS)


@given(texts=st.fixed_dictionaries({f.name: st.none() | st.text(max_size=50) for f in FIELDS}),
       named=st.booleans())
def test_the_sealed_record_survives_its_json(texts, named):
    reporter = NamedReporter(person_id=7, name="Dana Reyes", email="dana@example.com",
                             platform="slack") if named else None
    content = ReportContent(texts=texts, reporter=reporter,
                            holds=({"hold": True, "reason": "litigation", "by": "person:1",
                                    "at": "2026-12-01T10:00:00+00:00"},))
    assert ReportContent.from_json(content.to_json()) == content


def test_a_record_sealed_before_this_table_opens_the_same():
    # The JSON every sealed report already has: each field under its name, the reporter beside
    old = {"what": "Revenue booked early", "who": None, "when": "Q3", "evidence": None, "known": None,
           "reporter": {"person_id": 3, "name": "Dana Reyes", "email": "dana@example.com",
                        "platform": "slack"}}
    content = ReportContent.from_json(old)
    assert content.text("what") == "Revenue booked early" and content.reporter.person_id == 3
    assert content.to_json() == old
