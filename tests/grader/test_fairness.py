"""A grade depends only on the code: the same mistake scores the same under every learner id.

Hidden inputs are drawn per learner (so learners cannot swap expected outputs), but no verdict
may depend on the draw. The bank (``mistake_bank.py``: the hint catalogue's typical mistakes and
the ones issue 12 lists) is graded under 24 learner ids: every mistake must lose points, and
score the same, check by check, under every id. The in-process grader (``grading.direct``) runs
the same checks as a real run; the last test grades a sample through the sandboxed grader too
and asserts the same scores.
"""
from __future__ import annotations

import json

import pytest

from lstm_course import course
from lstm_course.grading import direct
from lstm_course.grading.checks import score

from .conftest import layer_or_skip, notebooks, replace_cell
from .mistake_bank import BANK, bank

LEARNERS = [f"learner-{i:02d}" for i in range(22)] + ["ann", "submission"]  # 24 ids


def test_the_bank_covers_the_hint_catalogue_and_the_issue():
    from lstm_course.exercises.checkgen import MISTAKES

    assert len(LEARNERS) >= 20 and len(BANK) >= 80
    labels = {label for _, label, _ in BANK}
    for needed in ("f_t missing on dc_prev", "σ′ for C̃", "dx / dh split swapped", "f_t + i⊙C̃", "C_{t-1} + i⊙C̃",
                   "h shifted by one step", "skips t = 0", "bias gradient as a mean", "loop one step short",
                   "gradient through h_{t-1} dropped", "clipping skipped", "**loss_kwargs ignored", "changes its input",
                   "sign flipped", "other activation", "operands swapped: [x, h]", "bias dropped", "time index off by one"):
        assert needed in labels, needed
    # every exercise that has typical mistakes in the hint catalogue has mistakes in the bank
    assert {e for e in MISTAKES if MISTAKES[e]} <= {e for e, _, _ in BANK}


@pytest.mark.parametrize("exercise, label, source", bank(), ids=[f"{e}: {label}" for e, label, _ in BANK])
def test_a_mistake_loses_points_and_scores_the_same_under_every_learner_id(exercise, label, source):
    _, public = direct.grade_source(exercise, source, "anyone", which="public", explain=False)  # the same for all
    verdicts = {}
    for learner in LEARNERS:
        _, hidden = direct.grade_source(exercise, source, learner, which="hidden", explain=False)
        records = public + hidden
        verdicts[learner] = (score(records, course.get(exercise).points), tuple(r["passed"] for r in records))
    assert len(set(verdicts.values())) == 1, {k: v for k, v in verdicts.items()}
    points, passed = verdicts[LEARNERS[0]]
    assert points < course.get(exercise).points, f"{label}: full marks"


SAMPLE = ["forget_gate: operands swapped: [x, h]", "cell_state: f_t + i⊙C̃", "rnn_forward: h0 ignored",
          "lstm_forward: T = 0 not handled", "lstm_cell_backward: bias gradient as a mean",
          "lstm_backward: dh_T ignored", "clip_grad_norm: changes its input", "train_step: clipped at 1.0, not max_norm"]


def test_the_sandboxed_grader_gives_the_same_scores(tmp_path):
    """A sample of the bank through ``lstm-course grade`` (sandbox, wire, engine) under 20 ids:
    the same score under every id, and the one the in-process grader gives."""
    layer_or_skip("bubblewrap")
    from lstm_course.grading.engine import GradingRun, Options
    from lstm_course.grading.sandbox import Limits

    nbs = notebooks()
    chosen = [(e, label, src) for e, label, src in bank() if f"{e}: {label}" in SAMPLE]
    assert len(chosen) == len(SAMPLE)
    for k, (exercise, label, source) in enumerate(chosen):
        nb = course.get(exercise).notebook
        mistaken = replace_cell(nbs, exercise, source)[nb]
        for learner in LEARNERS[:20]:
            folder = tmp_path / "subs" / f"{learner}-m{k}"
            folder.mkdir(parents=True)
            (folder / nb).write_text(json.dumps(mistaken))  # just this notebook: the rest is "not submitted"
    run = GradingRun(tmp_path / "subs", tmp_path / "out", Options(
        workers=2, progress=False, formats=("csv",), limits=Limits(exercise_seconds=20, learner_seconds=60, memory_mb=512)))
    states = {s["learner"]: s for s in run.grade()}
    for k, (exercise, label, source) in enumerate(chosen):
        got = {learner: states[f"{learner}-m{k}"]["exercises"][exercise]["points"] for learner in LEARNERS[:20]}
        in_process = {learner: direct.grade_source(exercise, source, f"{learner}-m{k}")[0] for learner in LEARNERS[:20]}
        assert got == in_process, (exercise, label)
        assert len(set(got.values())) == 1 and min(got.values()) < course.get(exercise).points, (exercise, label, got)
