"""Fixtures the end-to-end tests share: a company made through the service, the `candor`
command run as an administrator runs it (typer's CliRunner, the usual environment), and Candor
served to the Slack Web API stand-in (`slack`; a module may define its own stand-in instead)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

# The consoles the commands print through are made once, when first printed to: in a real process
# that is under the command's own environment. Make them here, outside any one invocation's
# COLUMNS, as a process starting afresh would (and import the commands' shared module at once).
from adapters.cli import app, common
from storage.keyring import save_keyring
from tests.e2e.slack_harness import running
from tests.support.slack_stand_in import SlackStandIn

CONSOLE_WIDTHS = (common.out.width, common.err.width)


@pytest.fixture
def run(world, database_url, keyring, tmp_path, monkeypatch):
    """`run("export", "case", CODE, ...)`: the CLI against the world's database and key; `input`
    is its standard input, other keyword arguments add to its environment."""
    key_file = tmp_path / "candor.key"
    save_keyring(key_file, keyring, create=True)
    monkeypatch.chdir(tmp_path)
    env = {"CANDOR_DATABASE_URL": database_url, "CANDOR_KEY_FILE": str(key_file),
           "CANDOR_SCRYPT_LOG2_N": "4", "COLUMNS": "400", "CANDOR_MASTER_KEY": None,
           "CANDOR_ANONYMOUS_DELAY_MINUTES": "0"}

    def invoke(*args: str, input: str | None = None, **more_env: str):
        return CliRunner().invoke(app, list(args), env={**env, **more_env}, input=input)

    return invoke


@pytest.fixture
async def slack(tmp_path, monkeypatch):
    """Candor serving Slack against the stand-in; whatever the test did, Candor never sent Slack a
    call it would refuse."""
    async with SlackStandIn() as api:
        async with running(tmp_path, api, monkeypatch) as harness:
            yield harness
        assert api.invalid == [], "\n".join(f"{why}: {str(call)[:300]}" for call, why in api.invalid)
