"""Issue 22 in the console, as people use it: a member designates the demo roster's outside
counsel on an anonymous report; the adviser is told (no content), opens the case, asks the
reporter; the reporter answers with code and secret; the adviser and the members read the answer;
the adviser cannot open the waivers, the register, another case, nor the case once the designation
ends; an adviser the reporter kept away cannot be designated."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_console import CANARY, Session
from tests.e2e.test_console import env as console_env


@pytest.fixture
def env(tmp_path):
    return console_env.__wrapped__(tmp_path)


def report(s: Session, *, keep_away: str | None = None) -> tuple[str, str]:
    s.type("/as sam@example.com")
    shown = s.type("I have a concern")
    shown = s.pick(shown, "Fraud involving management")
    shown = s.type(f"Inventory counts are overridden at the plant {CANARY}")
    shown = s.type(f"The plant manager {CANARY}-who")
    if keep_away:
        shown = s.pick(shown, keep_away)
    shown = s.pick(shown, "Done")
    for _ in range(3):
        shown = s.type("skip")
    shown = s.pick(shown, "Report anonymously")
    receipt = s.pick(shown, "Submit")
    code = re.search(r"case \*{1,2}([0-9A-Z-]{9})\*{1,2}", receipt).group(1)
    secret = re.search(r"Your secret: \*{1,2}([0-9A-Z-]+)\*{1,2}", receipt).group(1)
    s.type("/as lee@example.com")
    shown = s.type(f"/ethics open {code}")
    s.pick(shown, "Acknowledge")
    return code, secret


def option(s: Session, shown: str, label: str) -> str:
    """A form's option, picked by its number, as a person does."""
    match = re.search(r"\((\d+)\) " + re.escape(label), shown)
    assert match, f"no option {label!r} in:\n{shown}"
    return s.type(match.group(1))


def designate(s: Session, code: str, *, who: str = "Robin Vale (outside counsel)") -> str:
    s.type("/as alex@example.com")
    shown = s.type(f"/ethics open {code}")
    shown = s.pick(shown, "Designate")
    shown = option(s, shown, who)
    shown = option(s, shown, "Investigate")  # what they may do
    shown = s.type("")  # until: the default, 90 days
    return s.type(f"To interview the plant staff {CANARY}-why")


def test_an_adviser_designated_in_the_console_investigates_and_then_is_shut_out(env, monkeypatch):
    s = Session(env, monkeypatch)
    code, secret = report(s)
    other, _ = report(s)

    done = designate(s, code)
    assert f"Robin Vale is designated on case {code}" in done
    assert f"[#committee] Case {code}: Alex Kim designated an investigator (outside counsel)" in done
    assert f"[DM to robin@counsel.example] The Audit Committee designated you on case {code}" in done
    assert CANARY not in done.split("[#committee]", 1)[1]

    # The adviser opens the case and asks the anonymous reporter
    s.type("/as robin@counsel.example")
    shown = s.type("cases")
    assert code in shown and other not in shown
    shown = s.type(f"/ethics open {code}")
    assert CANARY in shown
    shown = s.pick(shown, "Ask the reporter")
    assert "question on case" in s.type("Who signed off the counts?").lower()

    # The reporter reads the investigator's question and answers with code and secret
    s.type("/as sam@example.com")
    shown = s.type(f"/ethics status {code} {secret}")
    assert "The Audit Committee's investigator asks" in shown and "Robin" not in shown
    shown = s.pick(shown, "Answer the committee")
    answered = s.type(f"The plant controller {CANARY}-answer")
    assert f"[DM to robin@counsel.example] There is news on case {code}" in answered

    # The adviser and a member read the answer
    s.type("/as robin@counsel.example")
    assert f"{CANARY}-answer" in s.type(f"/ethics open {code}")
    s.type("/as jordan@example.com")
    assert f"{CANARY}-answer" in s.type(f"/ethics open {code}")

    # The adviser cannot open another case, the waivers or the register
    s.type("/as robin@counsel.example")
    assert "members of the Audit Committee" in s.type(f"/ethics open {other}")
    assert "officers and the Audit Committee" in s.type("/ethics waivers")
    assert "officers and the Audit Committee" in s.type("/ethics waiver")
    assert "officers and the Audit Committee" in s.type("/attest")

    # A member ends the designation: the adviser is told, and the case opens no more
    s.type("/as alex@example.com")
    shown = s.type(f"/ethics open {code}")
    shown = s.pick(shown, "End designation: Robin Vale")
    ended = s.type("Interviews done")
    assert f"[DM to robin@counsel.example] Your designation on case {code} has ended" in ended
    s.type("/as robin@counsel.example")
    assert "members of the Audit Committee" in s.type(f"/ethics open {code}")
    assert "not designated on any case" in s.type("cases")
    s.candor.close()


def test_an_adviser_the_reporter_kept_away_is_not_offered(env, monkeypatch):
    s = Session(env, monkeypatch)
    code, _ = report(s, keep_away="Robin Vale (outside counsel, may be designated)")
    s.type("/as alex@example.com")
    shown = s.type(f"/ethics open {code}")
    shown = s.pick(shown, "Designate")
    assert "Nobody can be designated on this case" in shown
    s.type("/as robin@counsel.example")
    assert "members of the Audit Committee" in s.type(f"/ethics open {code}")
    s.candor.close()
