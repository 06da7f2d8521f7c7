"""The Teams app package: a zip Teams accepts, with the bot id, icons and command list."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zipfile

from adapters.teams.app import COMMANDS

APP_ID = "5a2f1c3e-1111-4a4a-9b9b-0123456789ab"
REQUIRED = ["$schema", "manifestVersion", "version", "id", "developer", "name", "description", "icons",
            "accentColor"]


def build(tmp_path):
    out = tmp_path / "candor-teams.zip"
    env = {**os.environ, "MICROSOFT_APP_ID": APP_ID}
    result = subprocess.run([sys.executable, "-m", "adapters.cli", "teams", "package", "--out", str(out)],
                            env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return zipfile.ZipFile(out)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_the_package_has_a_manifest_with_every_required_field_and_the_bot_id(tmp_path):
    package = build(tmp_path)
    assert set(package.namelist()) == {"manifest.json", "color.png", "outline.png"}
    manifest = json.loads(package.read("manifest.json"))
    assert all(manifest.get(key) for key in REQUIRED)
    assert manifest["id"] == APP_ID and manifest["bots"][0]["botId"] == APP_ID
    assert set(manifest["developer"]) >= {"name", "websiteUrl", "privacyUrl", "termsOfUseUrl"}
    assert len(manifest["name"]["short"]) <= 30 and len(manifest["description"]["short"]) <= 80
    assert len(manifest["description"]["full"]) <= 4000


def test_the_icons_have_the_sizes_teams_requires(tmp_path):
    package = build(tmp_path)
    assert png_size(package.read("color.png")) == (192, 192)
    assert png_size(package.read("outline.png")) == (32, 32)


def test_the_command_list_is_what_the_bot_understands(tmp_path):
    manifest = json.loads(build(tmp_path).read("manifest.json"))
    commands = manifest["bots"][0]["commandLists"][0]["commands"]
    assert [c["title"] for c in commands] == list(COMMANDS) == ["report", "status", "attest", "help"]
    assert all(c["description"] for c in commands)
    assert set(manifest["bots"][0]["scopes"]) == {"personal", "team"}


def test_without_an_app_id_the_command_says_what_is_missing(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "MICROSOFT_APP_ID"}
    result = subprocess.run([sys.executable, "-m", "adapters.cli", "teams", "package"], env=env,
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode != 0 and "MICROSOFT_APP_ID" in result.stderr


def test_an_app_id_that_is_not_a_guid_is_refused_with_what_to_use(tmp_path):
    # The bot's Teams id ("28:<app id>") is a likely mistake: Teams would refuse the package at upload
    env = {k: v for k, v in os.environ.items() if k != "MICROSOFT_APP_ID"}
    result = subprocess.run([sys.executable, "-m", "adapters.cli", "teams", "package", "--app-id", f"28:{APP_ID}",
                             "--out", str(tmp_path / "candor-teams.zip")], env=env, capture_output=True, text=True,
                            timeout=60, cwd=tmp_path)
    message = " ".join(result.stderr.split())
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "is not an app id" in message and "GUID" in message
    assert not (tmp_path / "candor-teams.zip").exists()
