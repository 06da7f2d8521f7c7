"""A deployment cannot weaken the hash of reporters' secrets: `CANDOR_SCRYPT_LOG2_N` below the
floor stops `candor` at start with a message naming it; only the test suite may lower it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from adapters.settings import SCRYPT_LOG2_N_FLOOR, Settings, SettingsError


def test_a_deployment_cannot_set_a_scrypt_cost_below_the_floor(tmp_path):
    # Given a deployment's environment (no test running in it) with a low scrypt cost
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "SLACK_", "MICROSOFT_", "PYTEST_"))}
    env.update(CANDOR_DATABASE_URL=f"sqlite:///{tmp_path / 'candor.db'}", CANDOR_KEY_FILE=str(tmp_path / "k"),
               CANDOR_SCRYPT_LOG2_N="4")
    # When candor starts, Then it stops, naming the variable and the floor, having made nothing
    result = subprocess.run([sys.executable, "-m", "adapters.cli", "init"], env=env, capture_output=True,
                            text=True, timeout=120, cwd=tmp_path)
    message = " ".join(result.stderr.split())
    assert result.returncode != 0
    assert "CANDOR_SCRYPT_LOG2_N=4" in message and str(SCRYPT_LOG2_N_FLOOR) in message
    assert "Traceback" not in message
    assert not (tmp_path / "k").exists() and not (tmp_path / "candor.db").exists()
    # And at the floor or above it starts
    env["CANDOR_SCRYPT_LOG2_N"] = str(SCRYPT_LOG2_N_FLOOR)
    result = subprocess.run([sys.executable, "-m", "adapters.cli", "init"], env=env, capture_output=True,
                            text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_the_default_is_the_floor_and_only_the_suite_goes_below_it(monkeypatch):
    assert Settings(_env_file=None).scrypt_log2_n == SCRYPT_LOG2_N_FLOOR == 15
    assert Settings(_env_file=None, CANDOR_SCRYPT_LOG2_N="4").scrypt_log2_n == 4  # inside pytest
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    with pytest.raises(SettingsError, match="CANDOR_SCRYPT_LOG2_N"):
        Settings(_env_file=None, CANDOR_SCRYPT_LOG2_N="14")
    assert Settings(_env_file=None, CANDOR_SCRYPT_LOG2_N="16").scrypt_log2_n == 16
