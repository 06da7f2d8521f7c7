"""`python -m bench [--quick]`: measure and print Candor's figures as Markdown tables."""

from __future__ import annotations

import argparse
import platform
import sys

from bench import storage_bench
from bench.common import postgres_available


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    args = parser.parse_args(argv)
    backends = ["sqlite"] + (["postgres"] if postgres_available() else [])
    count = 100 if args.quick else 500
    sizes = [100, 1000] if args.quick else [1_000, 10_000, 100_000]
    print(f"# Candor benchmarks\n\nPython {platform.python_version()} on {platform.machine()}, "
          f"backends: {', '.join(backends)}\n")
    tables = storage_bench.run(backends, count=count, sizes=sizes)
    try:
        from bench import slack_bench
    except ImportError:
        slack_bench = None  # type: ignore[assignment]
    if slack_bench is not None:
        tables += slack_bench.run(quick=args.quick)
    for table in tables:
        print(table.render())
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
