"""The README's console demo, replayed as a newcomer types it: an anonymous report held for the
default random delay, `/wait 60m`, the chair's acknowledgement, question and determination, and
the reporter's answer with code and secret."""

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

README = Path(__file__).resolve().parents[2] / "README.md"


def demo_lines() -> list[str]:
    block = re.search(r"```console-demo\n(.*?)```", README.read_text(), re.DOTALL)
    assert block, "the README has no console demo"
    return block.group(1).split("\n")[:-1]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    # The default random delay (60 minutes) applies: the demo is about it.
    monkeypatch.delenv("CANDOR_ANONYMOUS_DELAY_MINUTES", raising=False)
    values = {"CANDOR_DATABASE_URL": f"sqlite:///{tmp_path / 'candor.db'}",
              "CANDOR_KEY_FILE": str(tmp_path / "candor.key"), "CANDOR_SCRYPT_LOG2_N": "4"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def test_the_readme_demo_tells_the_whole_story(env):
    candor = build(Settings(), platforms=frozenset({Platform.CONSOLE}), create_key=True, upgrade=True)
    screen = io.StringIO()
    console = Console(candor.service, candor.relay, out=screen, retention_years=7)
    ensure_people(candor)
    code = secret = ""
    said: list[tuple[str, str]] = []
    for line in demo_lines():
        typed = line.replace("CODE", code).replace("SECRET", secret)
        start = screen.tell()
        console.handle_line(typed)
        shown = screen.getvalue()[start:]
        said.append((line, shown))
        code = code or (re.search(r"case \*{1,2}([0-9A-Z]{4}-[0-9A-Z]{4})\*{1,2}", shown) or [None, ""])[1]
        secret = secret or (re.search(r"Your secret: \*{1,2}([0-9A-Z-]+)\*{1,2}", shown) or [None, ""])[1]
    steps = iter(said)

    def until(line: str) -> str:
        for typed, shown in steps:
            if typed == line:
                return shown
        raise AssertionError(f"the demo has no line {line!r} left")

    # The receipt: a code, a secret, and when the committee will see the report; no alert yet
    receipt = until("submit")
    assert code and secret and "[#committee]" not in receipt
    assert re.search(r"The committee sees this at .*Type /wait \d+m", receipt)
    # /wait 60m: the delay passes and the alert reaches the channel, sanitized
    waited = until("/wait 60m")
    assert f"[#committee] New report {code}" in waited and "inventory" not in waited
    assert "on the console's clock" in waited
    # The chair acknowledges from the channel notice, opens the case, asks a question
    assert "You acknowledged case" in until("1") and "(updated)" in screen.getvalue()
    opened = until("/ethics open CODE")
    assert "The plant manager overrides the inventory counts" in opened
    assert "question on case" in until("Since when has this happened?").lower()
    # The reporter reads the question with code and secret and answers it
    assert "Since when has this happened?" in until("/ethics status CODE SECRET")
    assert "answer on case" in until("Since the spring count.")
    # The chair sees the answer and records the Board's determination
    until("/wait 60m")
    assert "Since the spring count." in until("/ethics open CODE")
    recorded = said[-1][1]
    assert "determination on case" in recorded.lower() and "recorded" in recorded
    assert "inventory" not in "".join(re.findall(r"\[#committee\].*", screen.getvalue()))
    candor.close()
    verify = subprocess.run([sys.executable, "-m", "adapters.cli", "audit", "verify"],
                            env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    assert verify.returncode == 0 and "unbroken" in verify.stdout, verify.stdout + verify.stderr


def test_a_piped_console_lets_time_pass_with_wait(env):
    # Given the demo's report, piped into `candor console` up to the chair's acknowledgement
    lines = demo_lines()
    transcript = "\n".join(lines[: lines.index("/as lee@example.com") + 2]) + "\n"
    run = subprocess.run([sys.executable, "-m", "adapters.cli", "console"], input=transcript,
                         env={**os.environ, **env}, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    before, after = run.stdout.split("/wait 60m", 1)
    # Then nothing reached the channel before /wait, and the alert and the acknowledgement after
    assert "[#committee]" not in before and "Type /wait" in before
    assert "[#committee] New report" in after and "You acknowledged case" in after


@pytest.mark.parametrize("typed", ["/wait", "/wait soon", "/wait 0m", "/wait 400d"])
def test_wait_refuses_what_is_not_a_duration_and_moves_nothing(env, typed):
    candor = build(Settings(), platforms=frozenset({Platform.CONSOLE}), create_key=True, upgrade=True)
    screen = io.StringIO()
    console = Console(candor.service, candor.relay, out=screen)
    before = candor.core.now()
    console.handle_line(typed)
    assert "Use /wait DURATION" in screen.getvalue()
    assert abs((candor.core.now() - before).total_seconds()) < 60
    assert console.prompt() == "> "
    candor.close()


def test_the_prompt_shows_the_consoles_date_once_it_is_not_today(env):
    candor = build(Settings(), platforms=frozenset({Platform.CONSOLE}), create_key=True, upgrade=True)
    console = Console(candor.service, candor.relay, out=io.StringIO())
    console.handle_line("/wait 8d")
    assert console.prompt() == f"[{candor.core.now().date().isoformat()}] > "
    candor.close()


def test_wait_leaves_the_clock_real_on_a_database_the_console_did_not_create(env):
    # Given the console on someone else's database (candor console --allow-production)
    candor = build(Settings(), platforms=frozenset({Platform.CONSOLE}), create_key=True, upgrade=True)
    screen = io.StringIO()
    console = Console(candor.service, candor.relay, out=screen, clock_may_move=False)
    before = candor.core.now()
    # When someone types /wait, Then it is refused and the clock does not move
    console.handle_line("/wait 400d")
    console.handle_line("/wait 8d")
    assert "works only on a database the console created" in screen.getvalue()
    assert abs((candor.core.now() - before).total_seconds()) < 60 and console.prompt() == "> "
    candor.close()
