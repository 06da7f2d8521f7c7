"""`candor` imports what a command uses: `--help` and a refused option load no platform SDK, no
database library, no PDF library and none of the bot (a behaviour, not a timing: the timings are
`make bench`'s); and the help `candor --help` lists for each command is the command's own."""

from __future__ import annotations

import inspect
import json
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
