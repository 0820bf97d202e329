"""``lstm-course grade`` and ``lstm-course gradescope-bundle``: argument parsing and output only."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def _grade(args: argparse.Namespace) -> int:
    from . import late, reports
    from .engine import FORMATS, GradingRun, Options
    from .sandbox import Limits, describe, detect_layer

    formats = tuple(f.strip() for f in args.format.split(",") if f.strip())
    try:
        due, submitted = (late.parse_when(args.due, "--due") if args.due else None), {}
        if args.submission_times:
            submitted = late.read_csv_dates(Path(args.submission_times), "submitted")
        if args.gradescope_metadata:  # the autograder: one learner, times from Gradescope
            gs_submitted, gs_due = late.from_gradescope(Path(args.gradescope_metadata))
            due = due or gs_due
            if gs_submitted:
                submitted = {learner: gs_submitted for learner in _entries(Path(args.submissions))}
        options = Options(
            workers=args.workers, formats=formats, sandbox=args.sandbox, unsafe_no_isolation=args.unsafe_no_isolation,
            progress=not args.no_progress,
            fresh=args.fresh, forbidden=tuple(m.strip() for m in args.forbid.split(",") if m.strip()),
            limits=Limits(learner_seconds=args.time_limit, exercise_seconds=min(args.exercise_time_limit, args.time_limit),
                          memory_mb=args.memory_mb),
            only=tuple(args.only or ()), due=due, submitted=submitted,
            extensions=late.read_csv_dates(Path(args.extensions), "due") if args.extensions else {},
            late_policy=late.Policy.parse(args.late_policy), hidden_visibility=args.hidden_visibility,
            roster=reports.read_roster(Path(args.roster)) if args.roster else None,
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
    print(reports.table([run.view(s) for s in states]))
    graded = len(run.learners)
    kept = f"{len(states) - graded} kept from the last run" if options.only else \
        f"{len(states) - graded} unchanged since the last run"
    print(f"\n{len(states)} learners ({graded} graded now, {kept}) in {elapsed:.1f} s with {options.workers} workers; "
          f"sandbox: {run.sandbox.layer if run.sandbox else 'not needed'}; wrote {', '.join(formats)} to {args.out}"
          f"  (formats available: {', '.join(FORMATS)})")
    problems = getattr(run, "roster_problems", None) or {}
    for key, text in (("not_in_roster", "graded but not in the roster (left out of canvas.csv)"),
                      ("not_submitted", "in the roster but without a submission (0 in canvas.csv)")):
        if problems.get(key):
            print(f"note: {text}: {', '.join(problems[key])}", file=sys.stderr)
    if run.internal_errors:
        print(f"GRADER ERRORS for {', '.join(run.internal_errors)}: see their feedback; rerun to regrade them", file=sys.stderr)
        return 1
    return 0


def _entries(root: Path) -> list[str]:
    from .submissions import discover

    return [learner for learner, _ in discover(root)]


def _bundle(args: argparse.Namespace) -> int:
    from .gradescope import write_bundle

    try:
        path = write_bundle(Path(args.output), time_limit=args.time_limit, workers=1,
                            hidden_visibility=args.hidden_visibility, late_policy=args.late_policy)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {path}: upload it as the autograder of a Gradescope programming assignment "
          "(Ubuntu 22.04 image; setup.sh installs Python 3.11, bubblewrap and this package at the versions of constraints.txt)")
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
                   help="comma-separated outputs: csv, feedback, summary, gradescope, canvas, similarity "
                        "(default csv,feedback,summary)")
    p.add_argument("--only", action="append", metavar="LEARNER",
                   help="regrade just this learner (repeatable); everyone else keeps their result from the last run")
    p.add_argument("--due", metavar="YYYY-MM-DDTHH:MM", help="due date (local time, or with a UTC offset); late work "
                                                               "is charged by --late-policy")
    p.add_argument("--extensions", metavar="FILE.csv", help="learners' own due dates: CSV with columns learner, due")
    p.add_argument("--submission-times", metavar="FILE.csv",
                   help="when each learner submitted: CSV with columns learner, submitted (an LMS export); "
                        "default: the newest modification time of their notebooks")
    p.add_argument("--late-policy", default="per-day:10,cap:50",
                   help="per-day:PERCENT[,cap:PERCENT][,cutoff:DAYS], cutoff:DAYS or none (default per-day:10,cap:50: "
                        "10%% of the earned score per started day late, at most 50%%)")
    p.add_argument("--roster", metavar="FILE.csv", help="for --format canvas: CSV with columns learner, sis_user_id, "
                                                        "optional name")
    p.add_argument("--hidden-visibility", default="visible", choices=("visible", "after_due_date", "after_published", "hidden"),
                   help="Gradescope: when learners see the hidden checks' results (default visible)")
    p.add_argument("--gradescope-metadata", metavar="FILE", help=argparse.SUPPRESS)  # the autograder's own use
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
    p.add_argument("--hidden-visibility", default="visible", choices=("visible", "after_due_date", "after_published", "hidden"),
                   help="when learners see the hidden checks' results (default visible)")
    p.add_argument("--late-policy", default="per-day:10,cap:50",
                   help="late penalty, with the due dates Gradescope passes (default per-day:10,cap:50)")
    p.set_defaults(func=_bundle)
