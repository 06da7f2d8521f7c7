"""The terminal adapter: a local chat with Candor, on the embedded defaults.

`/as EMAIL` picks who you are; plain lines are direct messages; `/ethics ...` and `/attest` work
as in Slack; choices print as `[N] Label` and are picked by typing N; committee-channel notices
print as lines beginning with `[#committee]`; a form asks its fields one line at a time (an empty
line skips an optional field). It reads a pipe as well as a terminal, so transcripts replay.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from adapters.console.clock import MAX_WAIT, ConsoleClock, parse_duration
from bot import roster
from bot.delivery.relay import Relay
from bot.messages import (
    CHANNEL,
    Actor,
    Choice,
    ChoiceClicked,
    Choices,
    Command,
    DirectMessage,
    Document,
    FieldKind,
    Form,
    FormErrors,
    FormField,
    FormSubmitted,
    Inbound,
    Notice,
    Reply,
    Surface,
    Text,
)
from bot.pending import Recorder
from bot.service import Service
from bot.sweep import Sweeper
from storage.vocabulary import Platform

# What the console is, for the core: a terminal that keeps no history; commands are typed as
# slash commands; forms are prompts, documents printed.
SURFACE = Surface()

HELP = """Console commands:
  /as EMAIL        act as this roster person (/who lists them)
  /ethics ARGS     the /ethics slash command: report | status CODE [SECRET] | help,
                   and for the committee: cases | open CODE | waiver | waivers
  /attest          the annual attestation
  /wait DURATION   let time pass (45m, 8d, 2w): held anonymous reports due by then reach the
                   committee, and reminders and escalations due by then are sent
  N                pick choice [N] from the last output
  /cancel          stop filling a form (nothing is sent)
  /quit            leave
Anything else is a direct message to the bot. Notices to the committee's channel print as
[#committee] lines; direct messages from the bot to someone print as [DM to EMAIL]."""


@dataclass
class _FormInProgress:
    form: Form
    values: dict[str, Any] = field(default_factory=dict)
    index: int = 0
    only: tuple[str, ...] = ()  # after errors: ask just these fields again


_YES_NO = (Choice("Yes", "yes"), Choice("No", "no"))


def _options(f: FormField) -> tuple[Choice, ...]:
    """What a choice field offers, numbered from 1 (a yes/no question: Yes and No)."""
    return f.options or (_YES_NO if f.kind is FieldKind.BOOLEAN else ())


def _pick(options: tuple[Choice, ...], typed: str) -> str | None:
    """The option typed, by its number, its value or its label; None when it is none of them."""
    if typed.isdigit():
        return options[int(typed) - 1].value if 1 <= int(typed) <= len(options) else None
    for option in options:
        if typed.lower() in {option.value.lower(), option.label.lower()}:
            return option.value
    return None


class Console:
    def __init__(self, service: Service, relay: Relay, *, out: TextIO = sys.stdout,
                 echo: bool = False, retention_years: int = 7,
                 clock_may_move: bool = True) -> None:
        self._service = service
        self._relay = relay
        self._out = out
        self._echo = echo
        self._who: str | None = None
        self._choices: dict[str, str] = {}
        self._form: _FormInProgress | None = None
        # The console's own clock, which /wait moves: everything the core dates reads it.
        self._clock = ConsoleClock()
        service.core.now = self._clock.now
        self._retention_years = retention_years
        # Only on the console's own database: elsewhere a sweep in the future would send real
        # people reminders and could shred cases past retention, which cannot be undone.
        self._clock_may_move = clock_may_move
        self._told_due: set[datetime] = set()
        self._recorder = Recorder(service.db, service.core)  # as `candor serve`'s notifier has

    # --- output -------------------------------------------------------------------------------

    def say(self, text: str, prefix: str = "bot> ") -> None:
        for i, line in enumerate(text.splitlines() or [""]):
            self._out.write((prefix if i == 0 else " " * len(prefix)) + line + "\n")
        self._out.flush()

    def _number(self, choices: Iterable[Choice], indent: str = "  ") -> None:
        for choice in choices:
            n = str(len(self._choices) + 1)
            self._choices[n] = choice.value
            self._out.write(f"{indent}[{n}] {choice.label}\n")

    def _render(self, replies: list[Reply]) -> None:
        for reply in replies:
            if isinstance(reply, Text):
                self.say(reply.text)
            elif isinstance(reply, Choices):
                self.say(reply.text)
                self._number(reply.choices)
            elif isinstance(reply, Document):
                self.say(f"== {reply.title} (private) ==")
                for heading, body in reply.sections:
                    self.say(body, prefix=f"  {heading}: ")
                self._number(reply.choices)
            elif isinstance(reply, Form):
                self._start_form(reply)
            elif isinstance(reply, FormErrors) and self._form is not None:
                labels = {f.name: f.label for f in self._form.form.fields}
                for name, problem in reply.errors.items():
                    self.say(f"{labels.get(name, name)}: {problem}", prefix="bot> ! ")
                self._form.only = tuple(reply.errors)
                self._form.index = 0
                self._ask_field()

    def _notice(self, notice: Notice, prefix: str) -> None:
        self.say(notice.title, prefix=prefix + " ")
        if notice.text:
            self.say(notice.text, prefix=" " * (len(prefix) + 1))
        for label, value in notice.fields:
            self.say(f"{label}: {value}", prefix=" " * (len(prefix) + 1))
        self._number(notice.choices, indent=" " * (len(prefix) + 1))

    def deliver(self) -> None:
        """Relay the console's outbox at once: the channel and the direct messages."""
        names = {f"person:{p.id}": p.email for p in roster.everyone(self._service.db)}
        for item in self._relay.claim(Platform.CONSOLE, limit=100):
            target = item.delivery.target
            prefix = "[#committee]" if target == CHANNEL else f"[DM to {names.get(target, target)}]"
            if item.edits:
                prefix += " (updated)"
            self._notice(item.delivery.notice, prefix)
            self._relay.delivered(item, channel="console", message_id=item.key)

    # --- forms --------------------------------------------------------------------------------

    def _fields(self) -> list[Any]:
        assert self._form is not None
        fields = list(self._form.form.fields)
        if self._form.only:
            fields = [f for f in fields if f.name in self._form.only]
        return fields

    def _start_form(self, form: Form) -> None:
        self._form = _FormInProgress(form)
        self.say(f"== {form.title} ==")
        if form.intro:
            self.say(form.intro, prefix="   | ")
        self.say("(one line per answer; an empty line skips an optional field; /cancel stops)")
        self._ask_field()

    def _ask_field(self) -> None:
        fields = self._fields()
        assert self._form is not None
        f = fields[self._form.index]
        suffix = "" if f.required else " (optional)"
        self.say(f"{f.label}{suffix}", prefix="bot> ? ")
        if f.hint:
            self.say(f.hint, prefix="       ")
        if f.initial:
            self.say(f"an empty line keeps: {f.initial}", prefix="       ")
        if f.kind in {FieldKind.SELECT, FieldKind.MULTISELECT, FieldKind.BOOLEAN}:
            for i, option in enumerate(_options(f), start=1):
                self._out.write(f"       ({i}) {option.label}\n")
            if f.kind is FieldKind.MULTISELECT:
                self.say("numbers separated by commas", prefix="       ")

    def _form_line(self, line: str) -> bool:
        """One answer to the form in progress; False when the person asked to quit."""
        assert self._form is not None
        if line.strip() == "/cancel":
            self._form = None
            self.say("Cancelled. Nothing was sent.")
            return True
        if line.strip() in {"/quit", "/exit"}:
            return False
        if line.strip().startswith(("/as", "/who", "/help", "/ethics", "/attest", "/wait")):
            self.say("You are filling in a form: answer the question, or type /cancel to stop it "
                     "first.")
            self._ask_field()
            return True
        fields = self._fields()
        f = fields[self._form.index]
        value: Any = line.strip() or (f.initial or "")
        if f.kind in {FieldKind.SELECT, FieldKind.MULTISELECT, FieldKind.BOOLEAN} and value:
            options = _options(f)
            picked = [_pick(options, part.strip()) for part in value.split(",")]
            if None in picked or (f.kind is not FieldKind.MULTISELECT and len(picked) > 1):
                numbers = ", ".join(str(i) for i in range(1, len(options) + 1))
                self.say(f"Please type the number of your choice ({numbers})"
                         + (", several separated by commas." if f.kind is FieldKind.MULTISELECT
                            else "."), prefix="bot> ! ")
                self._ask_field()
                return True
            value = picked if f.kind is FieldKind.MULTISELECT else picked[0]
        self._form.values[f.name] = value if value != "" else None
        self._form.index += 1
        if self._form.index < len(fields):
            self._ask_field()
            return True
        form = self._form
        self._send(FormSubmitted(self._actor(), form.form.form_id, dict(form.values)))
        if self._form is form and not form.only:
            self._form = None
        elif self._form is form and form.index >= len(self._fields()):
            self._form = None
        return True

    # --- input --------------------------------------------------------------------------------

    def _actor(self) -> Actor:
        assert self._who is not None
        return Actor(Platform.CONSOLE, self._who, email=self._who, surface=SURFACE)

    def _send(self, event: Inbound) -> None:
        self._choices = {}
        self._render(self._service.handle(event))
        self._recorder.run()  # what became due meanwhile is recorded, as the notifier would
        self.deliver()
        self._tell_when_held_reports_show()

    # --- time ---------------------------------------------------------------------------------

    def _local(self, moment: datetime) -> str:
        core = self._service.core
        return moment.astimezone(core.timezone).strftime("%Y-%m-%d %H:%M %Z")

    def _tell_when_held_reports_show(self) -> None:
        """An anonymous report (or answer) just held for its random delay: when the committee
        sees it, and how to let that time pass here."""
        core = self._service.core
        due = self._recorder.next_due()
        if due is None or due <= core.now() or due in self._told_due:
            return
        self._told_due.add(due)
        minutes = max(1, -int(-(due - core.now()).total_seconds() // 60))
        self.say(f"(console) The committee sees this at {self._local(due)}, after a random delay "
                 f"that hides when it was sent. Type /wait {minutes}m to let that time pass now.",
                 prefix="")

    def _wait(self, text: str) -> None:
        if not self._clock_may_move:
            self.say("/wait works only on a database the console created: here it would send real "
                     "reminders and could shred cases past retention. The clock stays real.")
            return
        waited = parse_duration(text)
        if waited is None:
            self.say(f"Use /wait DURATION: minutes, hours, days or weeks, such as /wait 45m, "
                     f"/wait 8d or /wait 1d12h (at most {MAX_WAIT.days} days).")
            return
        self._clock.offset += waited
        core = self._service.core
        result = Sweeper(self._service.db, core, core.schedule,
                         retention_years=self._retention_years).run(core.now())
        self.say(f"It is now {self._local(core.now())} on the console's clock. "
                 f"{result.written} reminder(s) or escalation(s) became due.")
        self.deliver()

    def prompt(self) -> str:
        """The prompt: the console's date beside it when /wait moved it off today."""
        core = self._service.core
        today = datetime.now(core.timezone).date()
        shown = core.now().astimezone(core.timezone).date()
        return "> " if shown == today else f"[{shown.isoformat()}] > "

    def handle_line(self, line: str) -> bool:
        """One line of input; False when the person asked to quit."""
        line = line.rstrip("\n")
        if self._echo and line.strip():
            self._out.write(f"{self._who or '?'}> {line}\n")
        if self._form is not None:
            return self._form_line(line)
        text = line.strip()
        if not text:
            return True
        if text in {"/quit", "/exit"}:
            return False
        if text in {"/help", "/?"}:
            self.say(HELP)
            return True
        if text == "/who":
            self._who_list()
            return True
        if text == "/wait" or text.startswith("/wait "):
            self._wait(text[len("/wait"):])
            return True
        if text.startswith("/as"):
            email = text[3:].strip().lower()
            self._who = email or None
            self.say(f"You are now {email}." if email else "Use /as EMAIL.")
            return True
        if self._who is None:
            self.say("First pick who you are: /as EMAIL (/who lists the roster).")
            return True
        if text in self._choices:
            self._send(ChoiceClicked(self._actor(), self._choices[text]))
        elif text.startswith("/ethics"):
            self._send(Command(self._actor(), "ethics", text[len("/ethics"):].strip()))
        elif text.startswith("/attest"):
            self._send(Command(self._actor(), "attest", text[len("/attest"):].strip()))
        else:
            self._send(DirectMessage(self._actor(), text))
        return True

    def _who_list(self) -> None:
        for person in roster.active_people(self._service.db):
            what = "committee chair" if person.chair else person.kind.label
            role = f", {person.role.label}" if person.role else ""
            role += f", {person.affiliation}" if person.affiliation else ""
            self.say(f"{person.email}: {person.name} ({what}{role})", prefix="  ")

    def run(self, lines: Iterable[str], *, interactive: bool = False) -> None:
        for line in lines:
            if not self.handle_line(line):
                break
            if interactive:
                self._out.write(f"{self._who or '?'}> ")
                self._out.flush()
