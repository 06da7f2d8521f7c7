"""Reaching a database: the answer names what failed, never the URL's password."""

from __future__ import annotations

import socket

from storage.db import unreachable


def test_a_server_that_is_not_there_is_named_by_the_error_type_only() -> None:
    with socket.socket() as probe:  # a port nobody listens on: bound, then closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    problem = unreachable(f"postgresql://candor:PASSWORD-7e1@127.0.0.1:{port}/candor", timeout=2)
    assert problem == "OperationalError"
