"""The course's exercises, written down once: which function, in which notebook, for how many points.

The exercise notebooks, the public checks, the student-edition release and the grader all
read this table; nothing else lists exercises or points.

API (small on purpose; the grader builds on it):

    EXERCISES                 every Exercise, in course order
    NOTEBOOKS                 every exercise notebook (file names under ``exercises/``), in order,
                              including those without a graded cell (08_applications.ipynb)
    get(name)                 one Exercise by name (= its nbgrader ``grade_id``)
    in_notebook(notebook)     the exercises whose graded cell lives in that notebook
    reference(name)           the reference function in ``lstm_course`` (instructor edition only)
    total_points()            sum of the points
    USES                      what a notebook without graded cells loads from earlier notebooks
    STUBBED_TOO               non-exercise functions the student edition also stubs, and why
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

EXERCISE_DIR = "exercises"  # the notebooks' folder, relative to the repository (and the student edition)


@dataclass(frozen=True)
class Exercise:
    name: str  # the function learners write; same name and signature as in lstm_course
    module: str  # where the reference lives
    notebook: str  # the exercise notebook (file name under exercises/) holding the graded cell
    points: int  # written here only
    requires: tuple[str, ...] = ()  # earlier exercises this one calls

    @property
    def grade_id(self) -> str:
        """nbgrader ``grade_id`` of the graded cell."""
        return self.name


EXERCISES: tuple[Exercise, ...] = (
    Exercise("rnn_forward", "lstm_course.rnn", "01_why_lstms.ipynb", 2),
    Exercise("forget_gate", "lstm_course.gates", "02_forget_gate.ipynb", 2),
    Exercise("input_gate", "lstm_course.gates", "03_input_gate.ipynb", 2),
    Exercise("candidate_memory", "lstm_course.gates", "03_input_gate.ipynb", 2),
    Exercise("cell_state", "lstm_course.gates", "03_input_gate.ipynb", 2),
    Exercise("output_gate", "lstm_course.gates", "04_output_gate.ipynb", 2),
    Exercise("hidden_state", "lstm_course.gates", "04_output_gate.ipynb", 2),
    Exercise("lstm_cell_forward", "lstm_course.cell", "05_hidden_vs_cell.ipynb", 4,
             ("forget_gate", "input_gate", "candidate_memory", "cell_state", "output_gate", "hidden_state")),
    Exercise("lstm_forward", "lstm_course.sequence", "05_hidden_vs_cell.ipynb", 4, ("lstm_cell_forward",)),
    Exercise("lstm_cell_backward", "lstm_course.cell", "06_math.ipynb", 6),
    Exercise("lstm_backward", "lstm_course.sequence", "06_math.ipynb", 6, ("lstm_cell_backward",)),
    Exercise("clip_grad_norm", "lstm_course.optim", "07_why_hidden_output.ipynb", 2),
    Exercise("train_step", "lstm_course.model", "07_why_hidden_output.ipynb", 4,
             ("lstm_forward", "lstm_backward", "clip_grad_norm")),
)

BY_NAME = {e.name: e for e in EXERCISES}

NOTEBOOKS: tuple[str, ...] = (
    "01_why_lstms.ipynb", "02_forget_gate.ipynb", "03_input_gate.ipynb", "04_output_gate.ipynb",
    "05_hidden_vs_cell.ipynb", "06_math.ipynb", "07_why_hidden_output.ipynb",
    "08_applications.ipynb",  # no graded cell: the learner's own LSTM forecasts a real series
)

# Earlier exercises a notebook loads from its siblings besides those its own exercises require
# (the applications notebook trains the learner's own LSTM).
USES: dict[str, tuple[str, ...]] = {
    "06_math.ipynb": ("lstm_forward",),  # the gradient check runs the learner's forward pass
    "08_applications.ipynb": ("lstm_forward", "lstm_backward", "train_step"),
}

# Functions with a marked solution that are not exercises but would do an exercise's work for the
# learner; the student edition stubs them too, pointing to the exercise that replaces them.
STUBBED_TOO: dict[str, str] = {
    "lstm_course.fast.lstm_forward_fast": "lstm_forward",
    "lstm_course.fast.lstm_backward_fast": "lstm_backward",
}


def get(name: str) -> Exercise:
    """The exercise called ``name``; ``KeyError`` names the known ones."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"no exercise {name!r}; known: {', '.join(BY_NAME)}") from None


def in_notebook(notebook: str) -> tuple[Exercise, ...]:
    """The exercises graded in ``notebook`` (a file name such as ``"03_input_gate.ipynb"``), in order."""
    if notebook not in NOTEBOOKS:
        raise KeyError(f"no exercise notebook {notebook!r}; known: {', '.join(NOTEBOOKS)}")
    return tuple(e for e in EXERCISES if e.notebook == notebook)


def reference(name: str) -> Callable:
    """The reference implementation of exercise ``name`` (raises NotImplementedError in the student edition)."""
    ex = get(name)
    return getattr(importlib.import_module(ex.module), ex.name)


def total_points() -> int:
    return sum(e.points for e in EXERCISES)
