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
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
