"""Random conversations from random roster people (hypothesis, stateful).

Whatever they do: no exception escapes the core; nobody reads another person's confidential text
unless they are a committee member allowed on that person's report; no channel notice carries
confidential text; every submitted report opens for each non-excluded committee member and for
nobody else.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlmodel import select

from bot.core import db_excluded
from bot.messages import CHANNEL, Document, Form
from storage import migrate
from storage.crypto import Vault
from storage.db import Database
from storage.keyring import Keyring
from storage.models import OutboxMessage, Report
from tests.conftest import TEST_SCRYPT_LOG2_N
from tests.support.world import PEOPLE, build_world, choice_values, text_of

KEYS = [p[0] for p in PEOPLE]
COMMITTEE = {"chair", "member", "member2"}
CANARY = re.compile(r"CANARY-(\w+)-\d+")

people = st.sampled_from(KEYS)
free_text = st.sampled_from([
    "report", "I have a concern", "help", "back", "cancel", "skip", "done", "named",
    "anonymous", "submit", "hello", "1", "3", "status", "cases", "attest", "x" * 5000,
])
buttons = st.sampled_from([
    "intake:cat:fraud", "intake:cat:other", "intake:excl:done", "intake:id:named",
    "intake:id:anonymous", "intake:submit", "intake:back", "intake:cancel", "intake:skip",
    "menu:report", "menu:help", "attest:report", "bogus:value",
])


class Conversations(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        db = Database.from_url(f"sqlite:///{Path(self.tmp.name) / 'candor.db'}")
        migrate.upgrade(db)
        self.world = build_world(db, Vault(Keyring.generate(), scrypt_log2_n=TEST_SCRYPT_LOG2_N))
        self.counter = 0
        self.authors: dict[str, str] = {}  # case code -> who reported it

    def teardown(self) -> None:
        self.world.db.dispose()
        self.tmp.cleanup()

    def _canary(self, who: str) -> str:
        self.counter += 1
        return f"CANARY-{who}-{self.counter}"

    def _check(self, who: str, replies) -> None:
        shown = text_of(replies)
        for match in re.finditer(r"as case \*{1,2}([0-9A-Z-]{9})\*{1,2}", shown):
            self.authors[match.group(1)] = who
        for author in set(CANARY.findall(shown)) - {who}:
            assert who in COMMITTEE, f"{who} read {author}'s confidential text"
            allowed = self._allowed_reports(who)
            assert any(self.authors.get(code) == author for code in allowed), (
                f"{who} read {author}'s text without an allowed report")

    def _allowed_reports(self, who: str) -> set[str]:
        member_id = self.world.people[who].id
        with self.world.db.read() as session:
            reports = session.exec(select(Report)).all()
            return {r.code for r in reports if member_id not in db_excluded(session, self.world.core, r)}

    @rule(who=people, text=free_text)
    def message(self, who: str, text: str) -> None:
        self._check(who, self.world.say(who, text))

    @rule(who=people)
    def describe(self, who: str) -> None:
        self._check(who, self.world.say(who, f"Something happened at the plant {self._canary(who)}"))

    @rule(who=people, value=buttons)
    def click(self, who: str, value: str) -> None:
        self._check(who, self.world.click(who, value))

    @rule(who=people, anonymous=st.booleans(), exclude=st.sets(st.sampled_from(sorted(COMMITTEE))))
    def form_report(self, who: str, anonymous: bool, exclude: set[str]) -> None:
        values = {
            "category": "fraud", "what": f"Revenue booked early {self._canary(who)}",
            "who": self._canary(who), "anonymous": "yes" if anonymous else "no",
            "exclude": [str(self.world.people[m].id) for m in exclude if m != who],
        }
        self._check(who, self.world.submit(who, "intake", values))

    @rule(who=people, data=st.data())
    def act_on_a_case(self, who: str, data) -> None:
        with self.world.db.read() as session:
            ids = [r.id for r in session.exec(select(Report)).all()]
        if not ids:
            return
        report_id = data.draw(st.sampled_from(ids))
        action = data.draw(st.sampled_from(["view", "ack", "ask"]))
        replies = self.world.click(who, f"case:{action}:{report_id}")
        self._check(who, replies)
        if replies and isinstance(replies[0], Form):
            self._check(who, self.world.submit(who, replies[0].form_id, {"question": "When?"}))

    @rule(who=people)
    def home(self, who: str) -> None:
        self._check(who, self.world.service.home(self.world.actor(who)))

    @invariant()
    def channel_notices_carry_no_confidential_text(self) -> None:
        with self.world.db.read() as session:
            for row in session.exec(select(OutboxMessage)).all():
                data = self.world.core.vault.unseal(session, kind="outbox", record_id=row.id, blob=row.body)
                if data["target"] == CHANNEL:
                    assert "CANARY" not in str(data)

    @invariant()
    def reports_open_for_exactly_the_allowed_members(self) -> None:
        with self.world.db.read() as session:
            reports = [(r.id, db_excluded(session, self.world.core, r)) for r in session.exec(select(Report)).all()]
        committee_ids = {self.world.people[m].id for m in COMMITTEE}
        assert all(not committee_ids <= excluded for _, excluded in reports), "a case nobody may read"
        for report_id, excluded in reports[-2:]:  # the newest ones keep the check cheap
            for who in KEYS:
                replies = self.world.click(who, f"case:view:{report_id}")
                opened = bool(replies) and isinstance(replies[0], Document)
                allowed = who in COMMITTEE and self.world.people[who].id not in excluded
                assert opened == allowed, (who, opened, allowed)
                if opened:
                    assert "CANARY" in text_of(replies) and choice_values(replies)


Conversations.TestCase.settings = settings(
    max_examples=15, stateful_step_count=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_random_conversations_keep_confidences = Conversations.TestCase
