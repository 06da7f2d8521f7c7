"""The console, as a person uses it: an anonymous report, the committee's question, the
reporter's answer with code and secret, the case closed; then the audit chain and the file."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.bootstrap import build
from adapters.console.app import Console
from adapters.console.demo import ensure_people
from adapters.settings import Settings
from storage.vocabulary import Platform

CANARY = "CANARY-c0ns0le"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "CANDOR_DATABASE_URL": f"sqlite:///{tmp_path / 'candor.db'}",
        "CANDOR_KEY_FILE": str(tmp_path / "candor.key"),
        "CANDOR_SCRYPT_LOG2_N": "4",
        "CANDOR_ANONYMOUS_DELAY_MINUTES": "0",  # the delay has its own tests (test_timing_cover)
    }


class Session:
    """A console in-process, read the way a person reads the screen."""

    def __init__(self, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        self.candor = build(Settings(), platforms=frozenset({Platform.CONSOLE}), create_key=True, upgrade=True)
        self.screen = io.StringIO()
        self.console = Console(self.candor.service, self.candor.relay, out=self.screen)
        note = ensure_people(self.candor)
        assert note and "demo roster" in note

    def type(self, line: str) -> str:
        start = self.screen.tell()
        self.console.handle_line(line)
        return self.screen.getvalue()[start:]

    def pick(self, shown: str, label: str) -> str:
        match = re.search(r"\[(\d+)\] " + re.escape(label), shown)
        assert match, f"no choice {label!r} in:\n{shown}"
        return self.type(match.group(1))


def test_anonymous_report_through_to_closing(env, monkeypatch, tmp_path):
    s = Session(env, monkeypatch)
    s.type("/as sam@example.com")
    shown = s.type("I have a concern")
    shown = s.pick(shown, "Fraud involving management")
    shown = s.type(f"Management overrides inventory counts at the plant {CANARY}")
    shown = s.type(f"The plant manager {CANARY}-who")
    shown = s.pick(shown, "Done")
    for _ in range(3):
        shown = s.type("skip")
    shown = s.pick(shown, "Report anonymously")
    assert "Reporting: anonymously" in shown
    receipt = s.pick(shown, "Submit")
    code = re.search(r"case \*{1,2}([0-9A-Z-]{9})\*{1,2}", receipt).group(1)
    secret = re.search(r"Your secret: \*{1,2}([0-9A-Z-]+)\*{1,2}", receipt).group(1)
    assert "[#committee] New report " + code in receipt
    assert CANARY not in receipt.split("[#committee]", 1)[1]

    # The chair acknowledges from the channel notice and asks a question.
    s.type("/as lee@example.com")
    shown = s.type("/ethics cases")
    shown = s.pick(shown, f"Open {code}")
    assert CANARY in shown and "Anonymous" in shown
    shown = s.pick(shown, "Acknowledge")
    assert "[#committee] (updated)" in shown and "Lee Park" in shown
    shown = s.type(f"/ethics open {code}")
    shown = s.pick(shown, "Ask the reporter")
    shown = s.type("Since when has this happened?")
    assert "question on case" in shown.lower()

    # The reporter answers with code and secret.
    s.type("/as sam@example.com")
    shown = s.type(f"/ethics status {code} {secret}")
    assert "Since when has this happened?" in shown
    shown = s.pick(shown, "Answer the committee")
    shown = s.type(f"Since the spring count {CANARY}-answer")
    assert "answer on case" in shown and "[#committee]" in shown

    # The chair closes the case.
    s.type("/as lee@example.com")
    shown = s.type(f"/ethics open {code}")
    assert f"{CANARY}-answer" in shown
    shown = s.pick(shown, "Move to: Under review")
    s.type("Interviewing the plant staff")
    shown = s.type(f"/ethics open {code}")
    shown = s.pick(shown, "Move to: Closed")
    shown = s.type("Counts corrected; controls added")
    assert "is now: Closed" in shown
    s.candor.close()

    verify = subprocess.run([sys.executable, "-m", "adapters.cli", "audit", "verify"],
                            env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    assert verify.returncode == 0, verify.stderr
    assert "unbroken" in verify.stdout
    for path in tmp_path.glob("candor.db*"):
        assert CANARY.encode() not in path.read_bytes(), path.name


def test_a_piped_transcript_replays(env, tmp_path):
    transcript = "\n".join([
        "/as dana@example.com",
        "report",
        "5",  # conflict of interest
        f"A vendor gifts the purchasing team {CANARY}",
        "skip", "done", "skip", "skip", "skip",
        "named",
        "submit",
        "/as lee@example.com",
        "1",  # the channel notice's first choice: Acknowledge
        "/quit",
    ]) + "\n"
    run = subprocess.run([sys.executable, "-m", "adapters.cli", "console"], input=transcript,
                         env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "demo roster" in run.stdout
    assert "[#committee] New report" in run.stdout
    assert "You acknowledged case" in run.stdout
    assert "[#committee] (updated)" in run.stdout
    assert CANARY not in run.stdout.split("[#committee]", 1)[1]
    assert (tmp_path / "candor.key").stat().st_mode & 0o777 == 0o600


def test_a_form_keeps_its_place_and_a_blank_answer_is_asked_again(env, monkeypatch):
    console = Session(env, monkeypatch)
    console.type("/as dana@example.com")
    console.type("/ethics report")
    console.type("6")  # securities laws

    # Console commands inside a form do not become answers
    said = console.type("/as lee@example.com")
    assert "You are filling in a form" in said and "What happened?" in said

    console.type("   ")  # what happened: blank, though required
    for _ in range(5):
        console.type("")  # the optional fields
    shown = console.type("no")  # named
    assert "needed for the committee" in shown and "What happened?" in shown
    receipt = console.type(f"Insider sales before the announcement {CANARY}")
    assert "recorded" in receipt
    assert console.console.handle_line("/quit") is False


def test_a_yes_no_question_is_picked_by_number_like_every_choice(env, monkeypatch):
    console = Session(env, monkeypatch)
    console.type("/as dana@example.com")
    console.type("/ethics report")
    console.type("6")  # securities laws
    console.type(f"Insider sales before the announcement {CANARY}")
    for _ in range(4):
        console.type("")  # the optional fields
    asked = console.type("")  # known: optional
    # how should the committee know you? numbered like the rest (issue 24: three ways)
    assert "(1) With my name" in asked and "(2) Confidential" in asked and "(3) Anonymous" in asked
    # An answer that is none of the choices says what to type, and asks again
    refused = console.type("maybe")
    assert "Please type the number of your choice (1, 2, 3)." in refused and "(1) With my name" in refused
    receipt = console.type("1")  # with my name
    assert "recorded" in receipt and "Your secret" not in receipt


def test_a_written_notice_is_determined_and_its_delivery_recorded_in_the_console(env, monkeypatch):
    # The written notice (issue 22). Given a named report, acknowledged by the chair
    s = Session(env, monkeypatch)
    s.type("/as dana@example.com")
    s.type("/ethics report")
    s.type("6")  # securities laws
    s.type(f"Insider sales before the announcement {CANARY}")
    for _ in range(5):
        s.type("")  # the optional fields
    receipt = s.type("1")  # with my name
    code = re.search(r"case \*{1,2}([0-9A-Z-]{9})\*{1,2}", receipt).group(1)
    s.type("/as lee@example.com")
    s.pick(s.type(f"/ethics open {code}"), "Acknowledge")

    # When a member records a determination of written notice against Sam Ortiz
    s.type("/as alex@example.com")
    shown = s.pick(s.type(f"/ethics open {code}"), "Record Board determination")
    for line in ["3", "1", "2", f"Sold shares in the quiet period {CANARY}-finding", "1", "2", "2",
                 "None", "", "", "A first lapse"]:
        shown = s.type(line)  # officer, violation, action, nature, single, inadvertent, not
        # advised, prior, decider and date as offered, reasoning
    assert "determination on case" in shown, shown

    # Then the case's details say how to get the letter, with a Notice delivered button
    shown = s.type(f"/ethics open {code}")
    assert "Notice letter to Sam Ortiz" in shown and f"candor export notice {code}" in shown

    # When the chair records its delivery: a day in the future is refused, today is recorded
    s.type("/as lee@example.com")
    shown = s.pick(s.type(f"/ethics open {code}"), "Notice delivered: Sam Ortiz")
    assert "Delivered on" in shown
    shown = s.type("2999-01-01")
    shown = s.type("By hand")
    assert "That date is in the future" in shown and "? Delivered on" in shown, shown
    shown = s.type("")  # only the field at fault is asked again: an empty line keeps today
    assert f"written notice on case {code} was delivered to Sam Ortiz" in shown

    # Then the history shows it, and the button is gone
    shown = s.type(f"/ethics open {code}")
    assert "Notice letter delivered to Sam Ortiz on" in shown
    assert "Notice delivered: Sam Ortiz" not in shown
    s.candor.close()
