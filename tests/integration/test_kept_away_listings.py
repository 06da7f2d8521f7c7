"""A member kept away from a case about an officer sees that case's outcome nowhere: not in the
earlier determinations another case's Board form lists, and (once a determination names the
officer) not that officer's disclosures or waivers in App Home, the register or a direct view."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.messages import Form
from storage.models import Attestation, AuditEvent, Report, Waiver
from tests.integration.test_administration import valid_determination
from tests.support.world import World, choice_values, text_of


def file_report(world: World, who: str, what: str, *, exclude: str | None = None) -> Report:
    values: dict = {"category": "fraud", "what": what, "anonymous": "no"}
    if exclude:
        values["exclude"] = [str(world.people[exclude].id)]
    world.submit(who, "intake", values)
    return _newest(world, what)


def _newest(world: World, what: str) -> Report:
    with world.db.read() as session:
        for report in session.exec(select(Report)).all():
            if what in str(world.core.vault.unseal(session, kind="report", record_id=report.id, blob=report.body)):
                return report
    raise AssertionError(what)


@pytest.fixture
def cfo_case(world: World) -> Report:
    """Sam's report about the CFO, kept from Jordan (member2), decided: censure for Dana."""
    case = file_report(world, "controller", "The CFO's expenses were approved by himself", exclude="member2")
    cfo = str(world.people["cfo"].id)
    recorded = world.submit("chair", f"determine:{case.id}", valid_determination(world, subject=cfo))
    assert "recorded" in text_of(recorded).lower()
    return case


def board_intro(world: World, who: str, case: Report) -> str:
    form = world.click(who, f"case:determine:{case.id}")[0]
    assert isinstance(form, Form)
    return form.intro or ""


def test_the_board_form_lists_no_determination_from_a_case_the_member_is_kept_away_from(world, cfo_case):
    other = file_report(world, "cfo", "A supplier's invoices are split in two")
    # A member allowed on both cases sees the CFO's earlier determination
    assert "Dana Reyes: 2026-11-02, material violation, Censure" in board_intro(world, "member", other)
    # Jordan, kept away from the case about the CFO, does not
    intro = board_intro(world, "member2", other)
    assert "Dana Reyes" not in intro and "Censure" not in intro
    # and what Jordan then records does not cite it either
    world.submit("member2", f"determine:{other.id}", valid_determination(world, subject=str(world.people["cfo"].id)))
    from bot import board
    from storage.models import Determination
    with world.db.read() as session:
        row = session.exec(select(Determination).where(Determination.report_id == other.id)).one()
        assert board.db_unseal(session, world.core, row)["prior_determinations"] == []


def test_the_officers_disclosures_are_kept_from_the_member_in_app_home_and_a_direct_view(world, cfo_case):
    world.submit("cfo", "attest", {"read_understood": "yes", "complied": "yes", "no_conflict": "no",
                                   "no_unreported": "yes", "disclosure": "A board seat at a supplier"})
    with world.db.read() as session:
        attestation = session.exec(select(Attestation)).one()
    allowed = world.service.home(world.actor("member"))
    assert "Dana Reyes: 2027" in text_of(allowed) or "Dana Reyes: 2026" in text_of(allowed)
    kept = world.service.home(world.actor("member2"))
    assert "Dana Reyes" not in text_of(kept).split("Disclosed at attestation:")[1].split("Waivers to disclose")[0]
    assert f"disclosure:view:{attestation.id}" not in choice_values(kept)
    refused = world.click("member2", f"disclosure:view:{attestation.id}")
    assert "kept away" in text_of(refused) and "supplier" not in text_of(refused)
    with world.db.read() as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "attestation.refused",
                                                     AuditEvent.actor == f"person:{world.people['member2'].id}")).first()


def test_the_officers_waivers_are_kept_from_the_member_in_the_register_and_app_home(world, cfo_case):
    world.submit("chair", "waiver", {"officer": str(world.people["cfo"].id), "granted_by": "Board of Directors",
                                     "granted_on": "2026-11-01", "provision": "Obligation 3 (conflicts)",
                                     "reason": "a board seat"})
    world.submit("chair", "waiver", {"officer": str(world.people["controller"].id), "granted_by": "Board",
                                     "granted_on": "2026-11-01", "provision": "Obligation 1 (disclosure)",
                                     "reason": "a timing exception"})
    with world.db.read() as session:
        cfo_waiver = session.exec(select(Waiver).where(Waiver.person_id == world.people["cfo"].id)).one()
    assert "Dana Reyes" in text_of(world.command("member", "ethics", "waivers"))
    register = text_of(world.command("member2", "ethics", "waivers"))
    assert "Dana Reyes" not in register and "Sam Ortiz" in register
    def waivers_to_disclose(who: str) -> str:
        return text_of(world.service.home(world.actor(who))).split("Waivers to disclose:")[1]

    assert "Dana Reyes" not in waivers_to_disclose("member2") and "Sam Ortiz" in waivers_to_disclose("member2")
    assert "Dana Reyes" in waivers_to_disclose("member")
    refused = world.click("member2", f"waiver:disclose:{cfo_waiver.id}")
    assert "kept away" in text_of(refused)
    assert "kept away" in text_of(world.submit("member2", f"disclose:{cfo_waiver.id}",
                                               {"ref": "8-K 0001", "on": "2026-11-02"}))
    with world.db.read() as session:
        assert session.get(Waiver, cfo_waiver.id).disclosed_on is None
