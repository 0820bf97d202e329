"""Does the ``lstm-course`` command line run?"""
from __future__ import annotations

import pytest

import lstm_course
from lstm_course.cli import main


def test_info_prints_version_and_modules(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"lstm_course {lstm_course.__version__}\n")
    for module in ("gates", "cell", "sequence", "fast", "torch_bridge", "gradcheck"):
        assert module in out


def test_unknown_subcommand_exits_with_usage(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["no-such-command"])
    assert exc.value.code == 2
    assert "usage: lstm-course" in capsys.readouterr().err


def test_no_subcommand_exits_with_usage(capsys):
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
    assert "required" in capsys.readouterr().err
