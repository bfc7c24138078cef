#!/usr/bin/env python3
"""Ratios of one `make bench` run's transport figures: dh-rpc/1 against gRPC C++.

    scripts/bench-transport-ratios.py DIRECTORY

DIRECTORY holds what scripts/bench.sh saved of the run: `ours` and `grpc` (the default layout,
one after the other), `ours-two` (dh-rpc/1 with its server in a process of its own),
`ours-loops` (tasks on the event loops), and `ours-cpu0` and `grpc-cpu0` (both pinned to one
CPU). Missing files are skipped. Rates are compared as ours ÷ gRPC C++ (above 1: ours is
faster), p99 latency and memory as ours ÷ gRPC C++ (below 1: ours is lower). (a') is our
caller on the connection's executor, compared with gRPC C++'s one sequential figure.
"""

import re
import sys
from pathlib import Path

FIGURE = re.compile(r"^\((a'?|b|c|d)\) ")
RATE = re.compile(r"([\d.]+) (?:calls|msgs)/s")
P99 = re.compile(r"p99 ([\d.]+) µs")
CPU = re.compile(r"CPU ([\d.]+) µs per")
MEMORY = re.compile(r"server resident memory \+([\d.]+) KiB")


def figures(path: Path) -> dict:
    """Figure name -> {rate, p99, cpu, memory}, from a benchmark's output."""
    result = {}
    if not path.exists():
        return result
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = FIGURE.match(line)
        if not match:
            continue
        values = {}
        for key, pattern in (("rate", RATE), ("p99", P99), ("cpu", CPU), ("memory", MEMORY)):
            found = pattern.search(line)
            if found:
                values[key] = float(found.group(1))
        result[match.group(1)] = values
    return result


def ratio(ours: dict, peer: dict, key: str) -> str:
    if key not in ours or key not in peer or peer[key] == 0:
        return "-"
    return f"{ours[key] / peer[key]:.2f}×"


def compare(label: str, ours: dict, peer: dict) -> None:
    if not ours or not peer:
        return
    print(label)
    for name in ("a", "a'", "b", "c", "d"):
        mine = ours.get(name)
        theirs = peer.get("a" if name == "a'" else name)
        if not mine or not theirs:
            continue
        if name == "d":
            print(f"  {'(d)':5} server memory per idle connection {ratio(mine, theirs, 'memory')}")
            continue
        print(
            f"  {'(' + name + ')':5} rate {ratio(mine, theirs, 'rate')}"
            f"  p99 {ratio(mine, theirs, 'p99')}  CPU per call {ratio(mine, theirs, 'cpu')}"
            f"  ({mine.get('rate', 0):.0f} against {theirs.get('rate', 0):.0f}/s)"
        )


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    directory = Path(sys.argv[1])
    grpc = figures(directory / "grpc")
    compare("one process, as measured first:", figures(directory / "ours"), grpc)
    compare("server in a process of its own:", figures(directory / "ours-two"), grpc)
    compare("tasks on the event loops:", figures(directory / "ours-loops"), grpc)
    compare("both on one CPU:", figures(directory / "ours-cpu0"), figures(directory / "grpc-cpu0"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
