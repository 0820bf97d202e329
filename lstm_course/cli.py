"""The one command line of the course: ``lstm-course SUBCOMMAND ...``."""
from __future__ import annotations

import argparse
import sys


def _info(args: argparse.Namespace) -> int:
    import lstm_course

    print(f"lstm_course {lstm_course.__version__}")
    print(lstm_course.__doc__)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lstm-course", description="The LSTM course's command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("info", help="print the package version and its modules")
    p.set_defaults(func=_info)
    _add_validate_command(sub)
    _add_exercise_commands(sub)
    _add_grading_commands(sub)
    return parser


# --- validate (owner: student-edition helper; in both editions: learners run it before submitting) ---
def _validate(args: argparse.Namespace) -> int:
    from .exercises.validate import validate

    report = validate(args.directory)
    print(f"Validating the exercise notebooks in {report.directory} (as saved on disk):")
    print(report.text())
    return 0 if report.ok else 1


def _add_validate_command(sub) -> None:
    p = sub.add_parser("validate", help="before submitting: check that every notebook, graded cell and function "
                                        "is named as released and that the public checks run; exit 1 if points would be lost for form")
    p.add_argument("directory", nargs="?", default=".", help="the folder holding your exercise notebooks (default: here)")
    p.set_defaults(func=_validate)
# --- end validate ----------------------------------------------------------------------------


# --- exercises: sync-exercises, release (owner: exercises helper) ---------------------------
def _sync_exercises(args: argparse.Namespace) -> int:
    from .exercises import sync

    if args.check:
        drift = sync.check_drift()
        for line in drift:
            print(f"out of date: {line}")
        print("exercise notebooks and check data are in sync with the package" if not drift
              else "run `lstm-course sync-exercises` (then `--execute`) to update them")
        return 1 if drift else 0
    for line in sync.sync_all():
        print(f"updated {line}")
    if args.execute:
        from . import course

        for name in course.NOTEBOOKS:
            print(f"executing {name}", flush=True)
            sync.execute_notebook(sync.EXERCISES_DIR / name)
    return 0


def _release(args: argparse.Namespace) -> int:
    from .exercises.release import release, zip_edition

    try:
        written = release(args.outdir, force=args.force)
    except FileExistsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote the student edition ({len(written)} files) to {args.outdir}; its README.md gives learners the set-up")
    if args.zip:
        print(f"wrote the same as one archive: {zip_edition(args.outdir, args.zip)}")
    return 0


def _add_exercise_commands(sub) -> None:
    import importlib.util

    if importlib.util.find_spec("lstm_course.exercises.checkgen") is None:
        return  # the student edition: nothing to sync or release from
    p = sub.add_parser("sync-exercises", help="regenerate the exercise notebooks' graded cells and the public-check data from the package")
    p.add_argument("--check", action="store_true", help="only report what is out of date; exit 1 if anything is")
    p.add_argument("--execute", action="store_true", help="then run every exercise notebook and store its outputs (for nbval)")
    p.set_defaults(func=_sync_exercises)
    p = sub.add_parser("release", help="write the student edition (notebooks without solutions, stubbed package, check data)")
    p.add_argument("outdir", help="folder to write; must be empty, missing, or an earlier student edition")
    p.add_argument("--force", action="store_true", help="replace outdir even if it is not an earlier student edition")
    p.add_argument("--zip", metavar="FILE", help="also write it as one archive, FILE (what the book offers learners)")
    p.set_defaults(func=_release)
# --- end exercises ---------------------------------------------------------------------------


# --- grading: grade, gradescope-bundle (owner: grader helper; the code is in lstm_course.grading) ---
def _add_grading_commands(sub) -> None:
    from .grading.commands import add_commands

    add_commands(sub)
# --- end grading -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
