"""`candor export case --as EMAIL` puts a member's name on an export; whoever typed it (the OS
user and host) is recorded beside the member in the audit row, exported or refused."""

from __future__ import annotations

import getpass
import json
import socket

from sqlmodel import col, select

from bot import conflicts
from storage.models import AuditEvent, Person, Report
from tests.e2e.test_admin_cli import closed_report


def _rows(world, action: str) -> list[AuditEvent]:
    with world.db.read() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)
                                 .order_by(col(AuditEvent.seq))).all())


def test_an_export_as_a_member_records_the_operator_beside_them(world, run, tmp_path):
    case = closed_report(world)
    result = run("export", "case", case.code, "--as", "alex@example.com", "--out", str(tmp_path / "f.md"))
    assert result.exit_code == 0, result.output
    (row,) = _rows(world, "case.exported")
    assert row.actor == f"person:{world.people['member'].id}"
    assert json.loads(row.detail)["operator"] == f"{getpass.getuser()}@{socket.gethostname()}"


def test_a_refused_export_records_the_operator_too(world, run):
    case = closed_report(world)
    with world.db.write() as session:
        chair = session.get(Person, world.people["chair"].id)
        conflicts.db_add(session, world.core, by=chair, report=session.get(Report, case.id),
                         member_id=world.people["member"].id)
    result = run("export", "case", case.code, "--as", "alex@example.com")
    assert result.exit_code == 1
    refused = [r for r in _rows(world, "case.refused") if json.loads(r.detail).get("attempt") == "export"]
    assert len(refused) == 1
    assert json.loads(refused[0].detail)["operator"] == f"{getpass.getuser()}@{socket.gethostname()}"
