"""The test module pytest collects when grading (never shipped to learners, never in the sandbox).

There is one test function; the grading run's plugin (:mod:`.engine`) parametrizes it with one
case per (learner, exercise), which runs every public and hidden check of that exercise: it
waits for the learner's sandbox run, then compares in this process, on values the grader
validated, against the reference.
"""


def test_check(grading_case):
    grading_case.verify()
