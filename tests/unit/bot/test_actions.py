"""Every button value and form id is built and read by `bot.actions`: what is built reads back as
itself, the strings on the wire are the ones buttons already posted in chats carry, and anything
else reads as nothing (the route table answers "not understood")."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot import actions as a

ids = st.text(st.characters(codec="utf-8", exclude_characters=":"), min_size=1, max_size=40)
anything = st.text(max_size=40)  # a token or an id that may hold a colon
statuses = st.sampled_from(["acknowledged", "investigating", "closed"])

clicks = st.one_of(
    st.builds(a.Menu, anything),
    *(st.builds(kind, anything.filter(bool)) for kind in (
        a.Acknowledge, a.ViewCase, a.AskForm, a.DetermineForm, a.ExcludeForm, a.HoldForm,
        a.DiscloseForm, a.AnswerForm, a.ViewDisclosure, a.RevealAskForm, a.ConsentAskForm,
        a.RevealOpen)),
    st.builds(a.ConsentAnswer, anything.filter(bool), st.booleans()),
    st.builds(a.MoveForm, ids, statuses),
    st.just(a.ReportAfterAttesting()), st.just(a.ChatReport()), st.just(a.MyReports()),
    st.builds(a.Cmd, st.sampled_from(sorted(a.CMD_NAMES)), anything),
    st.builds(a.IntakeStep, anything.map(lambda s: a.INTAKE_PREFIX + s)),
    st.builds(a.RevealToForm, ids, anything.filter(bool)),  # issue 24: the name to a designee
)
forms = st.one_of(
    st.builds(a.ReportForm, anything), st.builds(a.AttestForm, anything),
    st.just(a.WaiverSubmit()),
    *(st.builds(kind, anything.filter(bool)) for kind in (
        a.AskSubmit, a.DetermineSubmit, a.ExcludeSubmit, a.HoldSubmit, a.DiscloseSubmit,
        a.AnswerSubmit, a.RevealAskSubmit, a.ConsentAskSubmit, a.RevealVoteSubmit)),
    st.builds(a.MoveSubmit, ids, statuses),
    st.builds(a.RevealToSubmit, ids, anything.filter(bool)),  # issue 24: the name to a designee
)


@given(clicks)
def test_every_click_reads_back_as_itself(click: a.Click) -> None:
    assert a.parse(click.encode()) == click


@given(forms)
def test_every_form_id_reads_back_as_itself(form: a.FormAction) -> None:
    assert a.parse_form(form.encode()) == form


def test_the_wire_strings_are_the_ones_old_buttons_carry() -> None:
    # Given buttons and forms already posted in chats before the typed actions existed
    wire = {
        "case:ack:R1": a.Acknowledge("R1"), "case:view:R1": a.ViewCase("R1"),
        "case:ask:R1": a.AskForm("R1"), "case:move:R1:closed": a.MoveForm("R1", "closed"),
        "case:determine:R1": a.DetermineForm("R1"), "case:exclude:R1": a.ExcludeForm("R1"),
        "case:hold:R1": a.HoldForm("R1"), "menu:attest": a.Menu("attest"),
        "waiver:disclose:W1": a.DiscloseForm("W1"), "answer:R1.99.mac": a.AnswerForm("R1.99.mac"),
        "disclosure:view:A1": a.ViewDisclosure("A1"), "attest:report": a.ReportAfterAttesting(),
        "chatreport:start": a.ChatReport(), "reporter:cases": a.MyReports(),
        "cmd:ethics:status AB12": a.Cmd("ethics", "status AB12"), "intake:skip": a.IntakeStep(
            "intake:skip"),
    }
    forms = {
        "intake": a.ReportForm(), "intake:t.1": a.ReportForm("t.1"), "attest:t.1": a.AttestForm(
            "t.1"), "waiver": a.WaiverSubmit(), "ask:R1": a.AskSubmit("R1"),
        "move:R1:closed": a.MoveSubmit("R1", "closed"), "determine:R1": a.DetermineSubmit("R1"),
        "exclude:R1": a.ExcludeSubmit("R1"), "hold:R1": a.HoldSubmit("R1"),
        "disclose:W1": a.DiscloseSubmit("W1"), "answer:R1.99.mac": a.AnswerSubmit("R1.99.mac"),
    }
    # Then each reads as its action, and that action is written the same way again
    for value, click in wire.items():
        assert (a.parse(value), click.encode()) == (click, value)
    for form_id, form in forms.items():
        assert (a.parse_form(form_id), form.encode()) == (form, form_id)


def test_unknown_and_malformed_values_read_as_nothing() -> None:
    for value in ("", "case", "case:ack:", "case:ack", "case:shred:R1", "case:move:R1",
                  "case:move::closed", "case:move:R1:", "waiver:disclose:", "waiver:R1",
                  "answer:", "disclosure:view:", "attest:other", "cmd:rm:-rf", "cmd",
                  "reporter:cases:x", "nonsense"):
        assert a.parse(value) is None, value
    for form_id in ("", "ask:", "ask", "move:R1", "move::closed", "hold:", "waiver:x",
                    "disclose:", "answer:", "report:R1", "case:ack:R1"):
        assert a.parse_form(form_id) is None, form_id


@given(st.text(max_size=60))
def test_no_value_breaks_the_parsers(value: str) -> None:
    parsed, form = a.parse(value), a.parse_form(value)
    assert parsed is None or parsed.encode() == value or isinstance(parsed, (a.Menu, a.Cmd))
    assert form is None or form.encode() == value or isinstance(form, (a.ReportForm,
                                                                       a.AttestForm))


def test_an_outsiders_click_on_any_case_button_names_its_case_for_the_audit() -> None:
    # A verb this version does not know is still an attempt on the case it names
    assert a.case_target("case:shred:R1") == ("shred", "R1")
    assert a.case_target("case:move:R1:closed") == ("move", "R1")
    assert a.case_target("case:ack:") is None and a.case_target("menu:cases") is None


def test_the_reveal_buttons_and_forms_read_as_themselves() -> None:
    # issue 24: the quorum and consent reveal
    assert a.parse("case:reveal:R1") == a.RevealAskForm("R1")
    assert a.parse("case:consent:R1") == a.ConsentAskForm("R1")
    assert a.parse("reveal:open:Q1") == a.RevealOpen("Q1")
    assert a.parse("reveal:consent:Q1:yes") == a.ConsentAnswer("Q1", True)
    assert a.parse("reveal:consent:Q1:no") == a.ConsentAnswer("Q1", False)
    for value in ("reveal:consent:Q1:maybe", "reveal:consent::yes", "reveal:open:", "reveal:x:Q1"):
        assert a.parse(value) is None, value
    assert a.parse_form("reveal-vote:Q1") == a.RevealVoteSubmit("Q1")
    assert a.parse_form("reveal-ask:R1") == a.RevealAskSubmit("R1")
    assert a.parse_form("consent-ask:R1") == a.ConsentAskSubmit("R1")
