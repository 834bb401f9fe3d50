"""Summarise a py-spy raw profile (`py-spy record --format raw`): the functions with the most
own time (the leaf frame of each sample), and the project's functions by inclusive time.

    python bench/profile_top.py /tmp/prof-sqlite-50.txt [N]
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

PROJECT = ("(bot/", "(db/", "(handlers/", "(scheduler/")


def main(path: str, n: int = 15) -> None:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack:
            continue
        samples = int(count)
        frames = [f.split(" (")[0] + " (" + f.split(" (")[-1] for f in stack.split(";")]
        frames = [f for f in frames if not f.startswith("process ") and not f.startswith("thread ")]
        if not frames:
            continue
        total += samples
        own[frames[-1]] += samples
        for f in set(frames):
            inclusive[f] += samples
    print(f"{total} samples; top {n} by own time:")
    for f, c in own.most_common(n):
        print(f"  {c / total:6.1%}  {f}")
    print(f"top {n} of the project's functions by inclusive time:")
    ours = [(f, c) for f, c in inclusive.most_common() if any(d in f for d in PROJECT)]
    for f, c in ours[:n]:
        print(f"  {c / total:6.1%}  {f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 15)
