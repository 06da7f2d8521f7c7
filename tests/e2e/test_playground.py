"""Candor as Microsoft's own Teams emulator shows it: the Microsoft 365 Agents Playground in
headless Chromium against the real `candor serve` in Teams local mode.

An officer (the Playground's default user, Alex Wilber) types a report in his chat with Candor,
step by step; the Audit Committee's channel, in a committee member's own Playground (Megan
Bowen's), shows the alert; she acknowledges it there and the same card changes to say so. Each
person has a Playground of their own because one Playground is one signed-in user.

The Playground does not open dialogs (task modules): the form, the receipt's details and the case
check open in dialogs on Teams, and keep their stand-in tests (tests/e2e/test_teams.py).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.conftest import IN_CI
from tests.e2e import playground_harness
from tests.e2e.playground_harness import ADELE, ALEX, MEGAN, chromium, open_page, playground
from tests.e2e.serve_harness import free_port, serve

pytestmark = pytest.mark.slow

COMMITTEE = "19:committee@thread.tacv2"  # the committee's team, and its General channel
FINANCE = "19:finance@thread.tacv2"  # the officer's own team, where Candor is not
ROSTER = f"""\
officers:
  - {{name: {ALEX.name}, email: {ALEX.email}, role: CFO, teams_id: {ALEX.aad}}}
committee:
  - {{name: {MEGAN.name}, email: {MEGAN.email}, chair: true, teams_id: {MEGAN.aad}}}
  - {{name: {ADELE.name}, email: {ADELE.email}, teams_id: {ADELE.aad}}}
"""
WAIT = 20_000  # ms: how long anything a person waits for may take to show
WHAT = "Revenue was booked before delivery in Q3."
WHO = "The regional sales director."


@pytest.fixture
def playground_ready() -> None:
    if problem := playground_harness.missing():
        if IN_CI:
            pytest.fail(f"CI runs the Playground test: {problem}")
        pytest.skip(problem)


async def test_a_report_typed_in_the_playground_alerts_the_committee_channel_where_a_member_acknowledges_it(
        playground_ready, tmp_path):
    from playwright.async_api import expect

    served = await serve(tmp_path, f"sqlite:///{tmp_path / 'candor.db'}", roster=ROSTER, emails={},
                         slack_ids={}, teams_ids={},
                         env={"MICROSOFT_APP_TENANT_ID": playground_harness.TENANT,
                              "CANDOR_TEAMS_CHANNEL": COMMITTEE, "CANDOR_ANONYMOUS_DELAY_MINUTES": "0"})
    blocked: list[str] = []
    try:
        async with (playground(tmp_path / "alex", me=ALEX, team=FINANCE, team_name="Finance",
                               endpoint=served.teams_url, port=free_port()) as alex_url,
                    playground(tmp_path / "megan", me=MEGAN, team=COMMITTEE, team_name="Audit Committee",
                               endpoint=served.teams_url, port=free_port()) as megan_url,
                    chromium() as browser):
            alex = await open_page(browser, alex_url, blocked)
            megan = await open_page(browser, megan_url, blocked)
            for page in (alex, megan):
                await expect(page.get_by_text("Connected.", exact=True)).to_be_visible(timeout=WAIT)

            # Given Candor added to the committee's team (in Megan's Playground, its General channel)
            await megan.get_by_text("General", exact=True).click()
            await megan.get_by_text("Mock an Activity").click()
            await megan.get_by_text("Add application", exact=True).click()
            await megan.get_by_role("button", name="Send activity").click()
            await served.until(lambda: "added to team " + COMMITTEE in served.log.read_text())

            # When Alex types `report` in his chat with Candor and chooses to type it there
            await alex.get_by_text("Personal Chat", exact=True).click()

            async def say(text: str) -> None:
                await alex.get_by_role("textbox").click()
                await alex.keyboard.type(text)
                await alex.keyboard.press("Enter")

            async def shown(text: str) -> None:
                await expect(alex.get_by_text(text).last).to_be_visible(timeout=WAIT)

            async def choose(button: str) -> None:
                await alex.get_by_role("button", name=button, exact=True).last.click()

            await say("report")
            await shown("What you type here stays in this chat's history")
            await choose("Type it here instead")
            # and answers each step
            await shown("What is your concern about?")
            await alex.get_by_text("Fraud involving management or financial-reporting staff").last.click()
            await choose("Continue")
            await shown("What happened? Please describe it in your own words.")
            await say(WHAT)
            await shown("Who is involved?")
            await say(WHO)
            await shown("If this concern involves a member of the Audit Committee, or one of the advisers")
            await choose("Done")  # nobody kept away
            await shown("When did it happen, or over what period?")
            await say("Since July.")
            await shown("What evidence exists")
            await say("The Q3 close workbook.")
            await shown("Does anyone else already know about this")
            await choose("Skip")
            await shown("How should the committee know you?")
            await choose("Report with my name")

            # Then the review shows what he chose, and that he answered, not what he typed
            await shown("Please check your report before it goes to the Audit Committee")
            review = alex.locator(".ac-adaptiveCard").last
            await expect(review).to_contain_text("Fraud involving management or financial-reporting staff")
            await expect(review).to_contain_text("with your name")
            await expect(review).not_to_contain_text(WHAT)
            await alex.screenshot(path=tmp_path / "playground-review.png")
            await choose("Submit")
            await shown("Report received")

            # And the committee's channel, in Megan's Playground, shows the alert: code and category,
            # nothing Alex typed
            await megan.get_by_text("General", exact=True).click()
            title = megan.get_by_text(re.compile(r"^New report \S+$"))
            await expect(title).to_be_visible(timeout=WAIT)
            code = (await title.inner_text()).removeprefix("New report ").strip()
            alert = megan.locator(".ac-adaptiveCard", has_text=code)
            await expect(alert).to_contain_text("Fraud involving management or financial-reporting staff")
            await expect(alert).to_contain_text(re.compile(r"Status\s*Received"))
            for typed in (WHAT, WHO):
                await expect(megan.locator("body")).not_to_contain_text(typed)
            # and the case code stays out of Alex's chat history (his receipt opens in a dialog)
            await expect(alex.locator("body")).not_to_contain_text(code)

            # When Megan acknowledges it in the channel
            await alert.get_by_role("button", name="Acknowledge", exact=True).click()

            # Then the same card changes in place to say who acknowledged it, and offers it no more
            await expect(alert).to_contain_text(re.compile(rf"Acknowledged\s*{MEGAN.name}, \d{{4}}-"), timeout=WAIT)
            await expect(alert).to_contain_text(re.compile(r"Status\s*Acknowledged"))
            await expect(alert.get_by_role("button", name="Acknowledge", exact=True)).to_have_count(0)
            await expect(megan.locator(".ac-adaptiveCard", has_text=code)).to_have_count(1)
            await expect(megan.get_by_text(f"Report {code}", exact=True)).to_be_visible()
            await megan.screenshot(path=tmp_path / "playground-acknowledged.png")
            # and Candor tells her so in her own chat with it
            await megan.get_by_text("Personal Chat", exact=True).click()
            said = megan.get_by_role("paragraph").filter(has_text=f"You acknowledged case {code}")
            await expect(said).to_be_visible(timeout=WAIT)
    finally:
        await served.close()
    # The pages worked offline: all they asked of anywhere but loopback (refused) was Microsoft's
    # CDN, for web fonts and an animation script; no telemetry
    assert {urlsplit(url).hostname for url in blocked} <= {"res-1.cdn.office.net"}, blocked
