"""`python -m bench [--quick]`: measure and print Candor's figures as Markdown tables."""

from __future__ import annotations

import argparse
import os
import platform
import sys

from bench import paths_bench, serve_bench, startup_bench, storage_bench
from bench.common import postgres_available

PARTS = ("startup", "serve", "storage", "paths")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    parser.add_argument("--only", action="append", choices=sorted(PARTS), metavar="PART",
                        help=f"measure only this part (repeatable): {', '.join(sorted(PARTS))}")
    args = parser.parse_args(argv)
    backends = ["sqlite"] + (["postgres"] if postgres_available() else [])
    count = 20 if args.quick else 500
    sizes = [50, 100] if args.quick else [10_000, 100_000]
    print(f"# Candor benchmarks\n\nPython {platform.python_version()} on {platform.machine()}, "
          f"{os.cpu_count()} cores, backends: {', '.join(backends)}\n")
    sys.stdout.flush()
    # Each table is printed as soon as it is measured.
    measures = {"startup": lambda: startup_bench.run(quick=args.quick),
                "serve": lambda: serve_bench.run(backends, quick=args.quick),
                "storage": lambda: storage_bench.run(backends, count=count, sizes=sizes),
                "paths": lambda: paths_bench.run(backends, quick=args.quick)}
    for part, measure in measures.items():
        if args.only and part not in args.only:
            continue
        for table in measure():
            print(table.render())
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
