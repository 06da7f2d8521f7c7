"""`candor` imports what a command uses: `--help` and a refused option load no platform SDK, no
database library, no PDF library and none of the bot; a command on a SQLite database neither
Alembic nor PostgreSQL's dialect; `candor serve` with Slack alone no other platform's SDK, no
terminal library and no PDF library (a behaviour, not a timing: the timings are `make bench`'s);
and the help `candor --help` lists for each command is the command's own."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys

import pytest

from adapters.cli import _LAZY, load

HEAVY = ("slack_bolt", "slack_sdk", "microsoft_agents", "microsoft_teams", "sqlalchemy",
         "sqlmodel", "fpdf", "fontTools", "cryptography", "aiohttp", "bot", "storage",
         "adapters.bootstrap", "adapters.settings")

PROBE = """
import json, sys
from adapters.cli import app
try:
    app(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def loaded(*argv: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True,
                          timeout=60)
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


PLATFORMS_AND_PDF = {"slack_bolt", "slack_sdk", "microsoft_agents", "microsoft_teams", "fpdf",
                     "fontTools"}


def top(modules: set[str], names: set[str] | tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in names or m in names)


@pytest.mark.parametrize("argv", [["--help"], ["--no-such-option"], []])
def test_the_help_and_a_refused_option_import_none_of_the_heavy_libraries(argv):
    assert top(loaded(*argv), HEAVY) == []


@pytest.mark.parametrize("argv", [["status"], ["audit", "--help"], ["roster", "--help"]])
def test_a_command_that_talks_to_no_platform_imports_no_platform_sdk_and_no_pdf_library(argv):
    assert top(loaded(*argv), PLATFORMS_AND_PDF) == []


@pytest.mark.parametrize("name", list(_LAZY))
def test_the_listed_help_is_the_commands_own(name):
    command = load(name)
    own = inspect.cleandoc(command.help or "").split("\n\n")[0].replace("\n", " ").strip()
    assert _LAZY[name].help == own
    assert command.name == name


# --- a command against a database, and `candor serve`: what each imports ------------------------

SERVE_PROBE = """
import json, sys
from aiohttp import web

def run_app(app, **options):  # the web app is built: what serving it took, and stop there
    print(json.dumps(sorted(sys.modules)), file=sys.stderr)

web.run_app = run_app
sys.argv = ["candor", "serve"]
from adapters.cli import main
try:
    main()
except SystemExit:
    pass
"""

NOT_AT_START = ("alembic", "mako", "psycopg", "shamir_mnemonic", "yaml", "fpdf", "fontTools",
                "microsoft_agents", "microsoft_teams")


@pytest.fixture
def home(tmp_path):
    """An environment with an initialised SQLite database and key file, and no platform."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CANDOR_", "SLACK_", "MICROSOFT_"))}
    env.update(CANDOR_DATABASE_URL=f"sqlite:///{tmp_path / 'candor.db'}",
               CANDOR_KEY_FILE=str(tmp_path / "candor.key"), CANDOR_SCRYPT_LOG2_N="4")
    subprocess.run([sys.executable, "-m", "adapters.cli", "init"], env=env, cwd=tmp_path,
                   check=True, capture_output=True, timeout=120)
    return env


def imported(env, script: str, *argv: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", script, *argv], env=env, capture_output=True,
                          text=True, timeout=120)
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def postgresql(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.startswith("sqlalchemy.dialects.postgresql"))


@pytest.mark.parametrize("argv", [["status"], ["audit", "verify"]])
def test_a_command_checks_the_schema_without_alembic_and_sqlite_without_postgresql(home, argv):
    # Given an initialised SQLite database, when the operator runs a command that reads it
    modules = imported(home, PROBE, *argv)
    # Then the schema's revision was read without Alembic, and PostgreSQL's dialect never loaded
    assert "storage.migrate" in modules
    assert top(modules, NOT_AT_START) == [] and postgresql(modules) == []


def test_candor_serve_with_slack_alone_imports_no_other_platform_no_terminal_and_no_pdf(home):
    # Given Slack alone configured, on SQLite
    env = {**home, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s",
           "CANDOR_SLACK_API_URL": "http://127.0.0.1:9/api/", "CANDOR_ADMIN_PORT": "0"}
    # When `candor serve` has built its web app
    modules = imported(env, SERVE_PROBE)
    # Then it serves Slack, with neither Teams' SDK, rich, the escrow's shares, the PDF library,
    # Alembic, YAML nor PostgreSQL's dialect loaded
    assert "slack_bolt" in modules and "adapters.slack.app" in modules
    assert top(modules, (*NOT_AT_START, "rich")) == [] and postgresql(modules) == []
