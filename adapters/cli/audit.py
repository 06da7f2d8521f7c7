"""`candor audit verify`: walk the hash-chained audit log and name its first broken link."""

from __future__ import annotations

import typer

from adapters.cli.common import administration, fail, out

app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@app.command("verify")
def audit_verify(
    expect_head: str | None = typer.Option(
        None, "--expect-head",
        help="An anchor (SEQ:HASH) printed by an earlier verify; fails if that link is gone or "
             "changed."),
) -> None:
    """Walk the audit chain and name the first broken link, if any. Prints the chain's head:
    keep it outside the database (e.g. in the committee's minutes) and pass it back with
    --expect-head to detect rows cut off the end."""
    from storage.audit import parse_anchor

    try:
        anchor = parse_anchor(expect_head) if expect_head else None
    except ValueError as exc:
        raise fail(str(exc)) from None
    with administration() as admin:
        result = admin.verify_audit(anchor=anchor)
    if not result.ok:
        raise fail(f"audit chain broken at row {result.broken_seq}: {result.reason} "
                   f"({result.checked} rows verified before it)")
    out.print(f"Audit chain verified: {result.checked} events, unbroken.")
    if result.head:
        out.print(f"Head: {result.head}", highlight=False)
