"""The hostile class: one submission per attack or fault, each with its exact score and reason.

Every attacked submission is the complete instructor edition (40 points) with one graded cell
replaced (forget_gate, 2 points) or one file broken, so "the attack gained nothing and cost
nothing else" reads as: forget_gate scores what its code honestly earns, every other exercise
keeps full marks, and the run goes on for everyone.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from lstm_course import course

GRADER = Path(__file__).resolve().parents[2] / "lstm_course" / "grading"


def why(state: dict, exercise: str) -> str:
    """Everything the feedback says about ``exercise``: reason, notes and failed checks."""
    r = state["exercises"][exercise]
    parts = [r["reason"] or ""] + r["notes"] + [f"{c.get('detail', '')} {c.get('hint', '')}" for c in r["checks"]
                                                if not c["passed"]]
    return " | ".join(parts)


def test_cli_default_forbidden_imports_match_the_grader():
    from lstm_course.cli import build_parser
    from lstm_course.grading.submissions import DEFAULT_FORBIDDEN

    args = build_parser().parse_args(["grade", "x", "--out", "y"])
    assert tuple(args.forbid.split(",")) == DEFAULT_FORBIDDEN


def others_full(state: dict, but: str = "forget_gate") -> bool:
    return all(state["exercises"][e.name]["points"] == e.points for e in course.EXERCISES if e.name != but)


# learner: (total, forget_gate points, regex the forget_gate feedback must match)
EXPECTED = {
    "eq_always_true": (38, 0, r"cannot read.*type Anything cannot be sent"),
    "ndarray_subclass_eq": (38, 0, r"wrong values"),  # the empty batch passes, but an edge case counts only with the rest
    "read_hidden_tests": (38, 0, r"wrong type|wrong shape|expected shape"),
    "rewrite_tests": (38, 0, r"wrong type|wrong shape|expected shape"),
    "forged_results_exit": (38, 0, r"exited with status 0.*results were discarded"),
    "conftest_pass_all": (38, 0, r"wrong type|wrong shape|expected shape"),
    "gradebook_write": (38, 0, r"wrong type|wrong shape|expected shape"),
    "hang": (38, 0, r"did not finish in time"),
    "sleep_hang": (38, 0, r"did not finish in time"),
    "hang_ignoring_signals": (38, 0, r"did not finish in time"),
    "segfault": (38, 0, r"segmentation fault"),
    "os_exit": (38, 0, r"exited with status 0 before finishing"),
    "sys_exit_at_definition": (38, 0, r"running the graded cell failed: SystemExit"),
    "memory_bomb": (38, 0, r"MemoryError"),
    "fork_bomb": (38, 0, r"BlockingIOError|out of order|malformed|segmentation|killed|exited"),
    "huge_result": (38, 0, r"cannot read.*too large"),
    "channel_flood": (38, 0, r"sent a message of \d+ bytes"),
    "print_flood": (40, 2, r"^$"),  # nothing to report: full marks
    "file_bomb": (38, 0, r"OSError: \[Errno 27\] File too large"),
    "renamed_function": (38, 0, r"defines no function named forget_gate \(functions defined: forget_gate_v2\)"),
    "wrong_signature": (38, 0, r"wrong signature: expected forget_gate\(h_prev, x_t, W_f, b_f\)"),
    "forbidden_import": (38, 0, r"uses torch, which this course forbids"),
    "dynamic_forbidden_import": (38, 0, r"ImportError.*tried to import torch|ImportError raised; it tried to import torch"),
    "reference_import": (38, 0, r"NameError: forget_gate is not available while grading forget_gate"),
    "oracle_forgery": (38, 0, r"asked the grader for 'forget_gate', which is not a prerequisite"),
    "network": (38, 0, r"wrong type|wrong shape|expected shape"),
    "missing_bias": (38, 0, r"f_t has wrong values for random shapes.*WITHOUT the bias"),
    "disk_fill": (38, 0, r"wrong type|wrong shape|expected shape"),
    "kernel_escape": (38, 0, r"wrong type|wrong shape|expected shape"),
    "snoop": (38, 0, r"wrong type|wrong shape|expected shape"),
    "invalid_json": (38, 0, r"02_forget_gate.ipynb is not a valid notebook \(not JSON"),
    "deleted_cell": (38, 0, r"graded cell 'forget_gate' is missing from 02_forget_gate.ipynb"),
    "zip_traversal": (38, 0, r"02_forget_gate.ipynb is not in the submission"),
    "zip_symlink": (38, 0, r"02_forget_gate.ipynb is not in the submission"),
    "zip_bomb": (38, 0, r"02_forget_gate.ipynb is not in the submission"),
    "folder_symlink": (38, 0, r"02_forget_gate.ipynb is not in the submission"),
}


def test_the_hostile_class_has_at_least_20_attacks():
    assert len(EXPECTED) >= 20


@pytest.mark.parametrize("learner", sorted(EXPECTED))
def test_attack_gains_nothing_and_costs_nothing_else(graded_class, learner):
    state = graded_class["states"][learner]
    total, points, reason = EXPECTED[learner]
    text = why(state, "forget_gate")
    assert re.search(reason, text, re.S), text
    assert state["exercises"]["forget_gate"]["points"] == points, text
    assert state["total"] == total, state
    assert others_full(state), {e: r["points"] for e, r in state["exercises"].items()}
    assert not state["internal_errors"]


def test_correct_submission_gets_full_marks(graded_class):
    for learner in ("correct", "zip_correct"):
        state = graded_class["states"][learner]
        failed = [(e, why(state, e)) for e in state["exercises"] if state["exercises"][e]["points"] != course.get(e).points]
        assert state["total"] == course.total_points() == 40, failed


def test_blank_student_edition_gets_zero(graded_class):
    state = graded_class["states"]["blank"]
    assert state["total"] == 0
    for e in course.EXERCISES:
        assert "NotImplementedError" in why(state, e.name), why(state, e.name)
        assert state["exercises"][e.name]["attempted"] is False


def test_an_unattempted_exercise_gets_one_line(graded_class):
    """Not six lines of NotImplementedError with recipe hints that give the solution away."""
    text = (graded_class["out"] / "feedback" / "blank.md").read_text()
    section = text.split("## forget_gate (02_forget_gate.ipynb): 0 / 2")[1].split("## ")[0]
    assert section.strip() == "Not attempted: the graded cell still raises NotImplementedError."
    assert "concat" not in text and "Hint" not in text


def test_duplicated_cell_grades_the_last_definition_and_says_so(graded_class):
    state = graded_class["states"]["duplicated_cell"]
    assert state["total"] == 40
    assert "appears 2 times in 02_forget_gate.ipynb; the last one was graded" in why(state, "forget_gate")


def test_unreadable_entries_get_zero_with_a_reason(graded_class):
    corrupt, link = graded_class["states"]["zip_corrupt"], graded_class["states"]["entry_symlink"]
    assert corrupt["total"] == 0 and "could not be read: BadZipFile" in why(corrupt, "forget_gate")
    assert link["total"] == 0 and "the entry is a symbolic link; links are not followed" in why(link, "rnn_forward")


def test_unsafe_zip_members_are_reported(graded_class):
    notes = " ".join(graded_class["states"]["zip_traversal"]["notes"])
    assert "'../../02_forget_gate.ipynb' would be written outside the submission; skipped" in notes
    assert "'/tmp/02_forget_gate.ipynb' would be written outside the submission; skipped" in notes
    assert "is a symbolic link; skipped" in " ".join(graded_class["states"]["zip_symlink"]["notes"])
    assert "over the 5 MiB limit; skipped" in " ".join(graded_class["states"]["zip_bomb"]["notes"])
    assert "is a symbolic link; it was not followed" in " ".join(graded_class["states"]["folder_symlink"]["notes"])


def test_an_early_mistake_does_not_cascade(graded_class):
    """missing_bias's own lstm_cell_forward would call its wrong forget_gate: graded with the reference, it is full."""
    state = graded_class["states"]["missing_bias"]
    assert state["exercises"]["lstm_cell_forward"]["points"] == 4
    feedback = (graded_class["out"] / "feedback" / "missing_bias.md").read_text()
    assert "Graded with the reference forget_gate, input_gate" in feedback


def test_hidden_checks_show_no_expected_values(graded_class):
    checks = graded_class["states"]["missing_bias"]["exercises"]["forget_gate"]["checks"]
    public = [c for c in checks if c["public"] and not c["passed"]]
    hidden = [c for c in checks if not c["public"] and not c["passed"]]
    assert public and hidden
    assert all("expected" in c["detail"] for c in public)
    # What kind of input failed and what went wrong, in words: no value, no shape of the hidden inputs.
    assert [c["detail"] for c in hidden] == ["f_t has wrong values for random shapes (draw 1 of 3)",
                                             "f_t has wrong values for large pre-activations (|z| up to ~1000)"]
    assert all("WITHOUT the bias" in c["hint"] for c in hidden)


def test_nothing_escaped_or_was_tampered_with(graded_class):
    out = graded_class["out"]
    assert "99" not in (out / "grades.csv").read_text().split("gradebook_write", 1)[1].splitlines()[0]
    assert not list(Path("/tmp").glob("conftest.py")) or "outcome = 'passed'" not in Path("/tmp/conftest.py").read_text()
    assert "def test_check(grading_case):\n    grading_case.verify()" in (GRADER / "hidden_checks.py").read_text()
    # Nothing of the run's sandboxes survives it (fork bomb, hangs ignoring signals, double forks): no
    # process of its uids (as root) and no bwrap of its sandbox files.
    sandbox = graded_class["run"].sandbox
    survivors = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            uid = os.stat(f"/proc/{pid}").st_uid
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if (sandbox.root and sandbox.uid_base <= uid < sandbox.uid_base + 64) or str(sandbox.files).encode() in cmdline:
            survivors.append(pid)
    assert not survivors


def test_gradebook_files(graded_class):
    out = graded_class["out"]
    rows = (out / "grades.csv").read_text().splitlines()
    assert rows[0] == "learner," + ",".join(e.name for e in course.EXERCISES) + ",raw,penalty,total,max"
    assert len(rows) == 1 + len(graded_class["states"])
    assert any(r.startswith("correct,2,2,2,2,2,2,2,4,4,6,6,2,4,40,0,40,40") for r in rows)
    summary = (out / "summary.md").read_text()
    assert "Sandbox layer used: bubblewrap" in summary and "| forget_gate | 2 |" in summary
    import json
    gs = json.loads((out / "gradescope" / "correct" / "results.json").read_text())
    assert gs["score"] == 40 and len(gs["tests"]) == 2 * len(course.EXERCISES)  # public and hidden checks apart
    assert abs(sum(t["max_score"] for t in gs["tests"]) - 40) < 0.05 and gs["output_format"] == "md"
    assert all(t["status"] == "passed" for t in gs["tests"])


def test_sandbox_library_holds_no_solution(graded_class):
    from lstm_course.grading import sandbox_lib

    pkg = sandbox_lib.build(graded_class["out"].parent / "lib-check") / "lib" / "lstm_course"
    assert sandbox_lib.leaks(pkg) == []
    text = "".join(p.read_text() for p in pkg.glob("*.py"))
    for name in ("def forget_gate", "def lstm_forward_fast", "def loss_and_grads", "z_f = concat_hx"):
        assert name not in text
    assert "def _check_gate" in text and "def concat_hx" in text  # the helpers learners' cells import
