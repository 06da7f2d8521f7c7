"""Shared pieces: fresh databases on both backends, a quiet core, timing and a table printer."""

from __future__ import annotations

import os
import secrets
import socket
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from bot.attestation import load_policy
from bot.core import Core
from storage import migrate
from storage.audit import AuditLog, audit_key
from storage.crypto import Vault
from storage.db import Database, normalize_url, unreachable
from storage.keyring import Keyring
from storage.vocabulary import Platform

POSTGRES_URL = os.environ.get("CANDOR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextmanager
def fresh_database(backend: str) -> Iterator[Database]:
    """A migrated, empty database on "sqlite" (a temp file) or "postgres" (a temp schema)."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            with migrate.migrated(f"sqlite:///{Path(folder) / 'bench.db'}") as db:
                yield db
        return
    schema = "bench_" + secrets.token_hex(4)
    admin = create_engine(normalize_url(POSTGRES_URL))
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{normalize_url(POSTGRES_URL)}?options=-csearch_path%3D{schema}"
    try:
        with migrate.migrated(url) as db:
            yield db
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def postgres_available() -> bool:
    """Whether the PostgreSQL rows can be measured (no server: they are left out)."""
    return unreachable(POSTGRES_URL) is None


def make_core(platforms: frozenset[Platform] = frozenset({Platform.SLACK})) -> Core:
    keyring = Keyring.generate()
    return Core(vault=Vault(keyring), audit=AuditLog(audit_key(keyring.index_key)),
                policy=load_policy(), platforms=platforms)


def timed(fn: Callable[[], object], repeat: int = 1) -> float:
    """The best of `repeat` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[max(0, min(98, int(q) - 1))]


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]

    def render(self) -> str:
        widths = [max(len(c), *(len(r[i]) for r in self.rows)) if self.rows else len(c)
                  for i, c in enumerate(self.columns)]
        line = ("| " + " | ".join(c.ljust(w) for c, w in zip(self.columns, widths, strict=True))
                + " |")
        rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
        body = ["| " + " | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) + " |"
                for r in self.rows]
        return "\n".join([f"### {self.title}", "", line, rule, *body, ""])


def check(what: str, figure: str, floor: str, ratio: str, target: str,
          ok: bool | None) -> list[str]:
    """One row of a table against a target: pass, FAIL, or — (a figure shown, no target)."""
    return [what, figure, floor, ratio, target, "—" if ok is None else "pass" if ok else "FAIL"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """A live process's CPU time so far (user and system), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    """A live process's resident set, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0
