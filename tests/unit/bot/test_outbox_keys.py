"""Shredding a case deletes the notices that named it: `bot.delivery.outbox.key_ids` reads which ids a
notice's key names, by its parts, not by looking for the id anywhere in the text."""

from __future__ import annotations

from bot.delivery.outbox import FAILURE_PREFIX, REPORTER_PREFIX, key_ids


def test_a_key_names_the_ids_between_its_colons_whatever_its_prefix_and_platform() -> None:
    assert {"r1"} <= key_ids("alert:r1@slack")
    assert {"r1", "closed"} <= key_ids("status:r1:closed:20260101120000@teams")
    assert "r1" in key_ids(f"{REPORTER_PREFIX}ack:r1@console")
    assert "m7" in key_ids(f"{FAILURE_PREFIX}{REPORTER_PREFIX}question:m7@slack")
    assert "r1" in key_ids("unacked:r1:d-3")  # a key as the rules write it, before a platform


def test_an_id_inside_another_id_is_not_named() -> None:
    # Given a case whose id happens to be part of another record's id
    assert "ab12" not in key_ids("alert:ffab12ff@slack")
    assert "slack" not in key_ids("alert:r1@slack")
