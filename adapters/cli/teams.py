"""`candor teams package`: the Teams app package (manifest and icons) to upload in Teams."""

from __future__ import annotations

from pathlib import Path

import typer

from adapters.cli.common import fail, out, settings

app = typer.Typer(help="Microsoft Teams: the app package.", no_args_is_help=True)


@app.command("package")
def teams_package(
    destination: Path = typer.Option(Path("candor-teams.zip"), "--out",
                                     help="Where to write the zip."),
    app_id: str | None = typer.Option(None, "--app-id",
                                      help="The bot's app id (default MICROSOFT_APP_ID)."),
    version: str = typer.Option("1.0.0", help="The app version shown in Teams."),
    website: str = typer.Option("https://candor.example.com",
                                help="Your company's page for Candor."),
) -> None:
    """Write the Teams app package (manifest.json with the bot id and command list, two icons)."""
    from adapters.teams.package import build_package

    bot_id = app_id or settings().microsoft_app_id
    if not bot_id:
        raise fail("no app id: pass --app-id or set MICROSOFT_APP_ID (the Azure bot's app id)")
    path = build_package(app_id=bot_id, out=destination, version=version, website=website)
    out.print(f"Wrote {path}: upload it in Teams (Apps → Manage your apps → Upload an app).")
