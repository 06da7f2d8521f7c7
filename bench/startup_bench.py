"""Start-up: the `candor` command's wall time and peak memory, against `python -c pass` and the
bare import of the libraries a command could need (slack_bolt, sqlalchemy, cryptography).

Measured as installed: each command runs once first, unmeasured, with its byte-code written (pip
compiles it at install; a checkout run with PYTHONDONTWRITEBYTECODE would compile every module of
Candor at every start, and that is not what an operator waits for)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Table, check

BARE_IMPORT = "import slack_bolt, sqlalchemy, cryptography.hazmat.primitives.ciphers.aead"


def _candor() -> list[str]:
    found = shutil.which("candor", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "adapters.cli"]


def measure(argv: list[str], env: dict[str, str], repeat: int) -> tuple[float, int]:
    """The median wall time (s) and the largest peak resident set (KiB) of `repeat` runs, after
    one run unmeasured (its byte-code written, its files in the page cache)."""
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    walls, peak = [], 0
    # The peak is GNU time's (%M): a child forked from this process would count its pages.
    timer = ["/usr/bin/time", "-f", "%M"] if Path("/usr/bin/time").exists() else []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run([*timer, *argv], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        walls.append(time.perf_counter() - start)
        last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
        peak = max(peak, int(last) if timer and last.isdigit() else 0)
    walls.sort()
    return walls[len(walls) // 2], peak


def run(*, quick: bool) -> list[Table]:
    repeat = 1 if quick else 7
    candor = _candor()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "CANDOR_DATABASE_URL": f"sqlite:///{Path(tmp) / 'empty.db'}",
               "CANDOR_KEY_FILE": str(Path(tmp) / "candor.key")}
        for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN",
                     "MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD", "CANDOR_ROSTER",
                     "PYTHONDONTWRITEBYTECODE"):
            env.pop(name, None)
        subprocess.run([*candor, "init"], env=env, check=True, capture_output=True)
        floor, floor_rss = measure([sys.executable, "-c", "pass"], env, repeat)
        bare, bare_rss = measure([sys.executable, "-c", BARE_IMPORT], env, repeat)
        rows.append(check("`python -c pass`", f"{floor:.2f} s, {floor_rss / 1024:.0f} MB", "—",
                          "—", "—", None))
        rows.append(check(f"`python -c \"{BARE_IMPORT}\"`",
                          f"{bare:.2f} s, {bare_rss / 1024:.0f} MB", "—", "—", "—", None))
        for what, argv, limit in (("`candor --help`", ["--help"], 0.3),
                                  ("`candor --no-such-option` (refused)", ["--no-such-option"],
                                   0.3),
                                  ("`candor status` (empty database)", ["status"], 0.8),
                                  ("`candor audit verify` (empty database)", ["audit", "verify"],
                                   0.8)):
            wall, peak = measure([*candor, *argv], env, repeat)
            rows.append(check(what, f"{wall:.2f} s, {peak / 1024:.0f} MB",
                              f"{floor:.2f} s (`python -c pass`)", f"{wall / floor:.1f}x",
                              f"≤ {limit} s", wall <= limit))
    return [Table("Start-up of a `candor` command (median wall, peak memory)",
                  ["what", "Candor", "floor", "ratio", "target", "result"], rows)]
