"""What the linkage adversary observes outside Candor's store: the server's log, line by line with
its times, and what each platform keeps of its chats (every person's messages with Candor, and the
committee channels' posts), with their times and user ids."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ChatMessage:
    """A message in a person's chat with Candor: typed by them (`from`) or posted to them (`to`)."""

    at: float
    platform: str
    user: str
    direction: str
    text: str


@dataclass(frozen=True)
class ChannelPost:
    at: float
    platform: str
    text: str


@dataclass(frozen=True)
class LogLine:
    number: int
    at: float
    text: str


_LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) ")


def read_log(path: Path) -> list[LogLine]:
    """The server's log (`%(asctime)s ...`, local time); a line without a time (a traceback's)
    belongs to the line before."""
    lines: list[LogLine] = []
    for text in path.read_text(errors="replace").splitlines():
        found = _LOG_LINE.match(text)
        if found:
            at = datetime.strptime(found[1], "%Y-%m-%d %H:%M:%S").timestamp() + int(found[2]) / 1000
            lines.append(LogLine(len(lines), at, text))
        elif lines:
            last = lines[-1]
            lines[-1] = LogLine(last.number, last.at, last.text + "\n" + text)
    return lines


def slack_history(calls: list[Any], typed: list[ChatMessage], committee: str) -> tuple[list[ChatMessage], list[ChannelPost]]:
    """What Slack keeps: messages the bot posted or edited in a person's DM or in the committee
    channel, and what people typed in their DMs. Modals, ephemeral answers and slash commands'
    text are not kept."""
    chats = [m for m in typed if m.platform == "slack"]
    posts = []
    for call in calls:
        if call.method not in {"chat.postMessage", "chat.update"}:
            continue
        channel, body = str(call.args.get("channel")), json.dumps(call.args)
        if channel == committee:
            posts.append(ChannelPost(call.at, "slack", body))
        elif channel.startswith("D"):
            chats.append(ChatMessage(call.at, "slack", channel[1:], "to", body))
    return chats, posts


def teams_history(sent: list[Any], typed: list[ChatMessage], channel: str) -> tuple[list[ChatMessage], list[ChannelPost]]:
    """What Teams keeps: activities the bot posted or edited in a personal chat or in the
    committee channel, and what people typed. Dialogs (task/fetch, task/submit) are not chat items."""
    chats = [m for m in typed if m.platform == "teams"]
    posts: list[ChannelPost] = []
    member_of: dict[str, str] = {}
    created: list[str] = []
    for item in sent:
        path = item.path
        if item.method == "POST" and path.rstrip("/").endswith("/v3/conversations"):
            created += [str(m.get("id", "")).removeprefix("29:") for m in item.body.get("members", [])]
            continue
        found = re.search(r"/v3/conversations/([^/]+)/activities", path)
        if not found or item.method not in {"POST", "PUT"}:
            continue
        conversation, body = found[1], json.dumps(item.body)
        if conversation.startswith(channel) or channel in conversation:
            posts.append(ChannelPost(item.at, "teams", body))
        elif conversation.startswith("a:personal-"):
            chats.append(ChatMessage(item.at, "teams", conversation.removeprefix("a:personal-"), "to", body))
        else:
            if conversation not in member_of and created:
                member_of[conversation] = created.pop(0)
            chats.append(ChatMessage(item.at, "teams", member_of.get(conversation, conversation), "to", body))
    return chats, posts
