"""The course's exercises, written down once: which function, in which notebook, for how many points.

The exercise notebooks, the public checks, the student-edition release and the grader all
read this table; nothing else lists exercises or points.
"""
from __future__ import annotations

from dataclasses import dataclass


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
    Exercise("forget_gate", "lstm_course.gates", "02_forget_gate.ipynb", 2),
    Exercise("input_gate", "lstm_course.gates", "03_input_gate.ipynb", 2),
    Exercise("candidate_memory", "lstm_course.gates", "03_input_gate.ipynb", 2),
    Exercise("cell_state", "lstm_course.gates", "03_input_gate.ipynb", 2),
    Exercise("output_gate", "lstm_course.gates", "04_output_gate.ipynb", 2),
    Exercise("hidden_state", "lstm_course.gates", "04_output_gate.ipynb", 2),
    Exercise("lstm_cell_forward", "lstm_course.cell", "05_lstm_cell.ipynb", 4,
             ("forget_gate", "input_gate", "candidate_memory", "cell_state", "output_gate", "hidden_state")),
    Exercise("lstm_forward", "lstm_course.sequence", "05_lstm_cell.ipynb", 4, ("lstm_cell_forward",)),
    Exercise("lstm_cell_backward", "lstm_course.cell", "06_backprop.ipynb", 6),
    Exercise("lstm_backward", "lstm_course.sequence", "06_backprop.ipynb", 6, ("lstm_cell_backward",)),
    Exercise("clip_grad_norm", "lstm_course.optim", "07_training.ipynb", 2),
    Exercise("train_step", "lstm_course.model", "07_training.ipynb", 4,
             ("lstm_forward", "lstm_backward", "clip_grad_norm")),
)

BY_NAME = {e.name: e for e in EXERCISES}


def get(name: str) -> Exercise:
    """The exercise called ``name``; ``KeyError`` names the known ones."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"no exercise {name!r}; known: {', '.join(BY_NAME)}") from None


def total_points() -> int:
    return sum(e.points for e in EXERCISES)
