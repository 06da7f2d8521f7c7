"""The cyclic garbage collector around a start: paused while a command's modules import and
Candor is built (tens of thousands of objects that live as long as the process, and next to no
garbage: a collection would walk them all for nothing), then what the start made frozen and the
collector back on. Imports nothing but the standard library: `adapters.cli` uses it before any
command's module is loaded."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def settle() -> None:
    """A start is over: what it built is frozen (gc.freeze: left out of every later collection,
    which would walk it for nothing) and the cyclic collector, paused while it started, runs
    again. For a process of Candor's own (`candor`, whose `main` pauses the collector); never in
    a test's, whose garbage would then never be collected."""
    gc.freeze()
    gc.enable()


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic collector paused while a start imports modules and builds Candor (tens of
    thousands of objects that live as long as the process, and next to no garbage: a collection
    would walk them all for nothing); back on after, if it was on before. In a process that
    settled its first start (`candor`'s own, not a test's), what the block built is frozen too."""
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count():
            gc.freeze()
        if running:
            gc.enable()
