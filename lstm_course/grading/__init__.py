"""The instructor's autograder: ``lstm-course grade SUBMISSIONS --out DIR``.

Modules, in the order a grading run uses them:

    submissions   read each learner's folder or .zip without trusting it; find graded cells
    checks        per exercise: inputs (public, and hidden ones seeded by learner), reference, comparison, hints
    sandbox_lib   the sandbox's helper-only stand-in for lstm_course (no solution can reach it)
    sandbox       one fenced-in process per learner (bubblewrap, or refuse) and the grader's side of the talk
    runner        the learner-side script inside the sandbox (numpy and the standard library only)
    namespaces    the Linux calls that fence each learner in: its own pid, mount and IPC namespaces, seccomp
    wire          the only data format crossing the sandbox boundary (JSON + raw arrays, no pickle)
    engine        a run: pytest collects hidden_checks once, parametrized by (learner, exercise, check)
    hidden_checks the test module pytest collects
    reports       grades.csv, feedback, summary, Gradescope results.json; atomic writes
    gradescope    the Gradescope autograder bundle (``lstm-course gradescope-bundle``)
    commands      the two subcommands' arguments
    direct        the same checks run in-process, unsandboxed: for measuring them (fairness test,
                  benchmarks/mutants.py), never for learners' code

Why oracles: each exercise is graded with the *reference* versions of its prerequisites, so
one early mistake does not cascade. The reference never enters the sandbox: while grading
``lstm_cell_forward``, the names ``forget_gate`` ... are bound to stubs that send their
(plain-array) arguments to the grader, which runs the reference and sends the result back.
The grader answers only for the current exercise's prerequisites.
"""
