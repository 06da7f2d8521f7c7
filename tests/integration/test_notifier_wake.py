"""The notifier is woken after an event that wrote a notice, and only then: a conversation's
turns give it nothing to send, and waking it for each would cost every turn a pass of reads."""

from __future__ import annotations

import asyncio

from adapters.bridge import Bridge
from bot.messages import ChoiceClicked, DirectMessage, Inbound
from storage.vocabulary import Platform
from tests.support.world import SURFACES, World, text_of


def test_only_an_event_that_wrote_a_notice_wakes_the_notifier(world: World) -> None:
    woken: list[str] = []
    last = ""
    bridge = Bridge(world.service, lambda: woken.append(last), platform=Platform.CONSOLE,
                    surface=SURFACES[Platform.CONSOLE])
    officer = world.actor("cfo")

    def send(event: Inbound) -> str:
        nonlocal last
        last = event.text if isinstance(event, DirectMessage) else event.value
        return text_of(asyncio.run(bridge.handle(event)))

    def say(text: str) -> str:
        return send(DirectMessage(officer, text))

    def click(value: str) -> str:
        return send(ChoiceClicked(officer, value))

    say("help")
    say("report")
    click("intake:cat:fraud")
    say("Quarter-end revenue is booked early")
    say("the sales controller")
    click("intake:excl:done")
    say("since March")
    say("skip")
    say("skip")
    click("intake:id:named")
    assert woken == []  # nine turns, no notice: no wake
    receipt = click("intake:submit")
    assert "case" in receipt.lower()
    assert woken == ["intake:submit"]  # the report's alert to the committee
    say("help")
    assert woken == ["intake:submit"]
