"""`candor teams package`: the Teams app package (manifest.json and two icons, zipped), ready to
upload in Teams' admin center or "Upload a custom app"."""

from __future__ import annotations

import json
import struct
import uuid
import zipfile
import zlib
from pathlib import Path
from typing import Any

import typer

from adapters.teams.app import COMMANDS

SCHEMA = "https://developer.microsoft.com/en-us/json-schemas/teams/v1.17/MicrosoftTeams.schema.json"
COMMAND_HELP = {
    "report": "Report a concern to the Audit Committee, in confidence (or type ethics report for "
              "one form)",
    "status": "Follow a case: status CODE [SECRET]",
    "attest": "Your annual attestation to the Supplemental Code of Ethics",
    "help": "What Candor does and how to use it",
}


def _png(size: int, pixel: Any) -> bytes:
    """A PNG of `size`×`size` RGBA pixels, `pixel(x, y) -> (r, g, b, a)` (the stdlib suffices)."""
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(size))
                    for y in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9))
            + chunk(b"IEND", b""))


def _in_ring(x: int, y: int, size: int) -> bool:
    centre, outer = (size - 1) / 2, size * 0.36
    distance = ((x - centre) ** 2 + (y - centre) ** 2) ** 0.5
    return outer * 0.62 <= distance <= outer and not (x > centre and abs(y - centre) < size * 0.12)


def color_icon() -> bytes:
    """192×192: a white "C" on Candor's blue."""
    return _png(192, lambda x, y: (255, 255, 255, 255) if _in_ring(x, y, 192)
                else (29, 53, 87, 255))


def outline_icon() -> bytes:
    """32×32: white on transparent, as Teams requires."""
    return _png(32, lambda x, y: (255, 255, 255, 255) if _in_ring(x, y, 32) else (0, 0, 0, 0))


def manifest(*, app_id: str, bot_id: str, version: str, website: str) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "manifestVersion": "1.17",
        "version": version,
        "id": app_id,
        "developer": {"name": "Candor", "websiteUrl": website, "privacyUrl": f"{website}/privacy",
                      "termsOfUseUrl": f"{website}/terms"},
        "name": {"short": "Candor", "full": "Candor: the Supplemental Code of Ethics"},
        "description": {
            "short": "Report concerns to the Audit Committee in confidence; attest to the Code.",
            "full": ("Candor is how Senior Financial Officers meet their Supplemental Code of "
                     "Ethics: report a concern to the Audit Committee in confidence, with their "
                     "name or anonymously; follow the case and answer the committee's questions; "
                     "and make the annual attestation. "
                     "The committee's channel sees sanitized alerts only."),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#1D3557",
        "bots": [{
            "botId": bot_id,
            "scopes": ["personal", "team"],
            "supportsFiles": False,
            "isNotificationOnly": False,
            "commandLists": [{"scopes": ["personal"], "commands": [
                {"title": name, "description": COMMAND_HELP[name]} for name in COMMANDS]}],
        }],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [],
    }


def checked_app_id(app_id: str) -> str:
    """The app id as Teams wants it in the manifest (a GUID, lower case), or a usage error: Teams
    refuses a package whose `id` or `botId` is not a GUID only at upload, with little to go on."""
    try:
        return str(uuid.UUID(app_id.strip()))
    except ValueError:
        raise typer.BadParameter(
            f"{app_id!r} is not an app id: the Azure bot's app id is a GUID like "
            "00000000-0000-0000-0000-000000000000 (Azure portal → the bot → Configuration → "
            "Microsoft App ID)", param_hint="--app-id / MICROSOFT_APP_ID") from None


def build_package(*, app_id: str, out: Path, version: str = "1.0.0",
                  website: str = "https://candor.example.com") -> Path:
    """Write the zip; the bot id is the Azure bot's app id (`MICROSOFT_APP_ID`)."""
    app_id = checked_app_id(app_id)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(
            manifest(app_id=app_id, bot_id=app_id, version=version, website=website), indent=2))
        package.writestr("color.png", color_icon())
        package.writestr("outline.png", outline_icon())
    return out
