"""``lstm-course grade`` and ``lstm-course gradescope-bundle``: argument parsing and output only."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def _grade(args: argparse.Namespace) -> int:
    from . import reports
    from .engine import FORMATS, GradingRun, Options
    from .sandbox import Limits, describe, detect_layer

    formats = tuple(f.strip() for f in args.format.split(",") if f.strip())
    try:
        options = Options(
            workers=args.workers, formats=formats, sandbox=args.sandbox, unsafe_no_isolation=args.unsafe_no_isolation,
            progress=not args.no_progress,
            fresh=args.fresh, forbidden=tuple(m.strip() for m in args.forbid.split(",") if m.strip()),
            limits=Limits(learner_seconds=args.time_limit, exercise_seconds=min(args.exercise_time_limit, args.time_limit),
                          memory_mb=args.memory_mb),
        )
        # Said before any learner code runs: which layer, and exactly what it guarantees (refused if none works).
        layer = detect_layer(options.sandbox, options.unsafe_no_isolation)
        print(("WARNING: " if layer == "rlimits" else "") + "sandbox: " + describe(layer, options.limits), file=sys.stderr)
        run = GradingRun(Path(args.submissions), Path(args.out), options)
        t0 = time.perf_counter()
        states = run.grade()
    except (ValueError, RuntimeError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - t0
    print(reports.table(states))
    graded = len(run.learners)
    print(f"\n{len(states)} learners ({graded} graded now, {len(states) - graded} unchanged since the last run) "
          f"in {elapsed:.1f} s with {options.workers} workers; sandbox: "
          f"{run.sandbox.layer if run.sandbox else 'not needed'}; wrote {', '.join(formats)} to {args.out}"
          f"  (formats available: {', '.join(FORMATS)})")
    if run.internal_errors:
        print(f"GRADER ERRORS for {', '.join(run.internal_errors)}: see their feedback; rerun to regrade them", file=sys.stderr)
        return 1
    return 0


def _bundle(args: argparse.Namespace) -> int:
    from .gradescope import write_bundle

    path = write_bundle(Path(args.output), time_limit=args.time_limit, workers=1)
    print(f"wrote {path}: upload it as the autograder of a Gradescope programming assignment "
          "(Ubuntu image; setup.sh installs Python, bubblewrap and this package)")
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("grade", help="grade a folder of submissions (one folder or .zip per learner) in a sandbox",
                       description="Grade every learner's exercise notebooks: public and hidden checks, partial credit, "
                                   "gradebook and feedback. Learner code runs sandboxed, one process per learner.")
    p.add_argument("submissions", help="folder holding one entry per learner: a folder or a .zip of their notebooks; "
                                       "the entry's name is the learner's id")
    p.add_argument("--out", required=True, help="folder for grades.csv, feedback/, summary.md (created; resumable)")
    p.add_argument("--workers", type=int, default=2, help="learners graded at once (default 2: one per core here)")
    p.add_argument("--time-limit", type=float, default=60.0, help="wall-clock seconds per learner, all exercises (default 60)")
    p.add_argument("--exercise-time-limit", type=float, default=10.0, help="wall-clock seconds per exercise (default 10)")
    p.add_argument("--memory-mb", type=int, default=1024, help="address-space limit of a learner's process in MiB (default 1024)")
    p.add_argument("--format", default="csv,feedback,summary",
                   help="comma-separated outputs: csv, feedback, summary, gradescope (default csv,feedback,summary)")
    p.add_argument("--forbid", default="torch,tensorflow,jax,keras,sklearn,scipy",
                   help="comma-separated modules graded code may not import (default torch,tensorflow,jax,keras,sklearn,scipy)")
    p.add_argument("--sandbox", default="auto", choices=("auto", "bubblewrap", "rlimits"),
                   help="isolation layer (default auto: bubblewrap; grading is refused, saying why, if it cannot run); "
                        "rlimits isolates nothing and needs --unsafe-no-isolation")
    p.add_argument("--unsafe-no-isolation", action="store_true",
                   help="allow --sandbox rlimits: learner code then runs as you (or, as root, as a uid of its own) and "
                        "can read your files, use the network and leave processes running")
    p.add_argument("--fresh", action="store_true", help="regrade everyone, ignoring results kept in OUT/.state")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_grade)

    p = sub.add_parser("gradescope-bundle", help="write a Gradescope autograder zip (setup.sh, run_autograder, this package)")
    p.add_argument("output", help="the zip file to write, e.g. autograder.zip")
    p.add_argument("--time-limit", type=float, default=120.0, help="wall-clock seconds per submission (default 120)")
    p.set_defaults(func=_bundle)
