"""Grading throughput: N synthetic submissions (correct, partly wrong, blank) through the whole grader.

Every submission is graded on the full course: all 13 exercises, public and hidden checks,
each learner in its own sandboxed process. Prints submissions per second with the worker
count and the sandbox layer, and the machine's load average (other processes on the same two
cores slow the figure down; the load says how much). Run:

    .venv/bin/python benchmarks/bench_grader.py [--n 40] [--workers 2] [--sandbox auto]

Target (issue 5): at least 5 learner submissions per second on this 2-core machine.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import random
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_class(root: Path, n: int, seed: int = 0) -> dict[str, int]:
    from lstm_course import course
    from lstm_course.exercises.transforms import apply

    nbs = {name: json.loads((ROOT / "exercises" / name).read_text()) for name in course.NOTEBOOKS}
    blank = {name: apply(copy.deepcopy(nb)) for name, nb in nbs.items()}
    rng = random.Random(seed)
    kinds = {"correct": 0, "partly wrong": 0, "blank": 0}
    for i in range(n):
        r = rng.random()
        kind = "correct" if r < 0.5 else "partly wrong" if r < 0.8 else "blank"
        kinds[kind] += 1
        sub = copy.deepcopy(blank if kind == "blank" else nbs)
        if kind == "partly wrong":
            # Three exercises replaced by the student edition's stub: they raise NotImplementedError.
            for ex in rng.sample(course.EXERCISES, 3):
                for cell, stub in zip(sub[ex.notebook]["cells"], blank[ex.notebook]["cells"]):
                    if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == ex.name:
                        cell["source"] = stub["source"]
        folder = root / f"learner{i:04d}"
        folder.mkdir(parents=True)
        for name, nb in sub.items():
            (folder / name).write_text(json.dumps(nb))
    return kinds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=40, help="number of synthetic submissions")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sandbox", default="auto")
    args = ap.parse_args()

    from lstm_course.grading.engine import GradingRun, Options
    from lstm_course.machine import describe

    for line in describe(with_torch=False):  # the grader's own process: NumPy only
        print(line)

    with tempfile.TemporaryDirectory(prefix="bench-grader-") as tmp:
        kinds = make_class(Path(tmp) / "subs", args.n)
        load0 = os.getloadavg()[0]
        run = GradingRun(Path(tmp) / "subs", Path(tmp) / "out",
                         Options(workers=args.workers, sandbox=args.sandbox, progress=False))
        t0 = time.perf_counter()
        cpu0 = os.times()
        states = run.grade()
        elapsed = time.perf_counter() - t0
        cpu1 = os.times()
        grader_cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
        runner_cpu = run.sandbox.reported_cpu  # the sandboxes' own getrusage, reported at exit
        cpu = grader_cpu + runner_cpu
        load1 = os.getloadavg()[0]
    totals = sorted(s["total"] for s in states)
    n_checks = sum(len(r["checks"]) for s in states for r in s["exercises"].values())
    print(f"submissions: {args.n} ({', '.join(f'{v} {k}' for k, v in kinds.items())}); "
          f"every exercise, {n_checks} checks in all")
    print(f"sandbox: {run.sandbox.layer}; workers: {args.workers}; load average before/after: {load0:.1f}/{load1:.1f}")
    print(f"elapsed: {elapsed:.2f} s  ->  {args.n / elapsed:.2f} submissions/s  (target >= 5)")
    print(f"CPU: grader {grader_cpu:.2f} s + sandboxed runners {runner_cpu:.2f} s = {cpu / args.n * 1000:.0f} ms "
          f"per submission (bwrap itself not counted); "
          f"on 2 idle cores that is at most {2 * args.n / cpu:.1f} submissions/s")
    print(f"scores: min {totals[0]}, median {totals[len(totals) // 2]}, max {totals[-1]}")


if __name__ == "__main__":
    main()
