"""Exercise tooling: learner functions from notebooks, public checks with hints, sync and release.

For learners (in the exercise notebooks)::

    from lstm_course.exercises import check, load_learner_function, implemented
    forget_gate = load_learner_function("02_forget_gate.ipynb", "forget_gate")  # your own, from notebook 02
    check("forget_gate", forget_gate)                                          # public checks, instant

Modules (small APIs the grader reuses):

    cells       find graded / setup / check / reference cells of a notebook (plain JSON, by nbgrader grade_id)
    loader      load_learner_function(notebook, grade_id), implemented(fn), LearnerFunctionError
    checkdata   the public-check data format (.npz per exercise, allow_pickle=False)
    checks      check(name, fn), run_checks(name, fn) -> [CheckResult], compare(expected, got, rtol, atol)
    hints       HINTS (text of each typical mistake), hint_for_error(exc)
    solutions   the marked solution bodies of the package, found with ast (instructor side)
    sync        regenerate graded/setup cells, nbgrader metadata and check data; report drift
    transforms  the release's one-job notebook transforms (nbgrader-preprocessor style)
    release     write the student edition
"""
from .checks import check, run_checks
from .loader import LearnerFunctionError, implemented, load_learner_function

__all__ = ["check", "run_checks", "load_learner_function", "implemented", "LearnerFunctionError"]
