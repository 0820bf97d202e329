"""A grading run: submissions in, gradebook out, with pytest collecting every check once.

    run = GradingRun(submissions, out, Options(workers=2))
    run.grade()          # -> list of per-learner results (dicts), also written under ``out``

How the pieces meet:

1. every learner entry is read (:mod:`.submissions`); learners whose result file in
   ``out/.state`` matches their submission's digest and this grader's configuration are
   done already (resume);
2. pytest starts once, in this process, and collects :mod:`.hidden_checks`, which this
   module's plugin parametrizes with one case per (learner, exercise); a case runs all of
   that exercise's public and hidden checks;
3. at session start a thread pool grades the learners in the sandbox (:mod:`.sandbox`),
   ``workers`` at a time (one sandboxed zygote per worker, one forked process per learner),
   in the order pytest will reach them; each case waits for its learner's run, then compares
   in this process (:func:`.checks.evaluate`);
4. when a learner's last case is reported, their result is written atomically (state,
   feedback, Gradescope JSON), so a run killed at any point resumes where it stopped;
5. at the end grades.csv and the summary are written from every learner's result, sorted by
   learner id: a resumed run and an uninterrupted one write the same bytes.
"""
from __future__ import annotations

import hashlib
import json
import os
import queue
import sys
import tempfile
import threading
import time
from datetime import datetime
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .. import course
from . import late, reports, sandbox_lib, submissions
from .checks import SPECS, Check, checks_for, error_feedback, evaluate, make_inputs, score
from .sandbox import ExerciseJob, Limits, Sandbox, detect_layer

GRADER_VERSION = "2"  # 2: several draws per hidden check, edge checks gated, named feedback
FORMATS = ("csv", "feedback", "summary", "gradescope", "canvas", "similarity")


@dataclass
class Options:
    workers: int = 2
    limits: Limits = field(default_factory=Limits)
    formats: tuple[str, ...] = ("csv", "feedback", "summary")
    sandbox: str = "auto"  # auto (= bubblewrap, or refuse), bubblewrap, rlimits
    unsafe_no_isolation: bool = False  # the only way to let sandbox="rlimits" run learner code unisolated
    forbidden: tuple[str, ...] = submissions.DEFAULT_FORBIDDEN
    progress: bool = True
    fresh: bool = False  # ignore earlier results in out/.state
    only: tuple[str, ...] = ()  # regrade just these learners; everyone else keeps their result in out/.state
    # Late work (see .late): the due date, learners' own due dates, submission times (else the
    # notebooks' modification times) and the policy. Applied when writing, never stored.
    due: datetime | None = None
    extensions: dict[str, datetime] = field(default_factory=dict)
    submitted: dict[str, datetime] = field(default_factory=dict)
    late_policy: late.Policy = field(default_factory=lambda: late.Policy.parse(late.DEFAULT_POLICY))
    roster: list[dict] | None = None  # for --format canvas: rows with learner, sis_user_id[, name]
    hidden_visibility: str = "visible"  # Gradescope: who sees the hidden checks' details, and when

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")
        bad = [f for f in self.formats if f not in FORMATS]
        if bad:
            raise ValueError(f"unknown output format(s) {bad}; choose from {', '.join(FORMATS)}")
        if "canvas" in self.formats and self.roster is None:
            raise ValueError("--format canvas needs --roster FILE.csv (columns learner, sis_user_id, optional name)")
        if self.hidden_visibility not in reports.VISIBILITIES:
            raise ValueError(f"hidden visibility must be one of {', '.join(reports.VISIBILITIES)}, got {self.hidden_visibility!r}")


def config_digest(options: Options) -> str:
    """What a result depends on besides the submission: a change here regrades everyone."""
    h = hashlib.sha256(GRADER_VERSION.encode())
    for e in course.EXERCISES:
        h.update(repr((e.name, e.points, e.requires, [(c.name, c.draws, c.edge) for c in checks_for(e.name)])).encode())
    data = Path(__file__).resolve().parent.parent / "data" / "public_checks"
    for path in sorted(data.glob("*.npz")):
        h.update(path.name.encode() + hashlib.sha256(path.read_bytes()).digest())
    lim = options.limits
    h.update(repr((sorted(options.forbidden), lim.exercise_seconds, lim.learner_seconds, lim.memory_mb,
                   lim.processes, lim.file_mb, lim.output_mb)).encode())
    return h.hexdigest()[:16]


class Case:
    """One exercise of one learner: a pytest parameter. Its checks run in one test, so pytest's
    per-test cost is paid 13 times per learner, not once per check."""

    def __init__(self, learner: "Learner", exercise: str) -> None:
        self.learner, self.exercise = learner, exercise
        self.id = f"{learner.id}::{exercise}"
        self.records: list[dict] | None = None
        self.attempted = True

    def verify(self) -> None:
        checks = checks_for(self.exercise)
        try:
            self.records = [self._evaluate(i, c) for i, c in enumerate(checks)]
            self.attempted = self._attempted()
        except Exception as e:  # noqa: BLE001 - a grader bug: recorded loudly, never as the learner's fault
            self.records = [{"name": c.name, "public": c.public, "edge": c.edge, "passed": False,
                             "detail": "the grader failed on this check; ask the instructor for a regrade",
                             "internal": f"{type(e).__name__}: {e}"} for c in checks]
            raise
        failed = [r for r in self.records if not r["passed"]]
        if failed:
            # pytrace=False: pytest reports the message alone; building a traceback for every failed
            # case (source parsing) used to cost more than the grading itself.
            pytest.fail(f"{self.id}: {len(failed)} of {len(self.records)} checks failed: "
                        + "; ".join(f"{r['name']}: {r.get('detail', '')}" for r in failed), pytrace=False)

    def _attempted(self) -> bool:
        """False when the graded cell still holds the released stub and every call raised it."""
        found = self.learner.exercises[self.exercise]
        if found.source is None or "raise NotImplementedError()" not in found.source:
            return True
        run = self.learner.future.result()[self.exercise]
        if run.load_error:
            return True
        return not all(r is not None and r[0] == "error" and r[1].startswith("NotImplementedError") for r in run.results)

    def _evaluate(self, index: int, check: Check) -> dict:
        spec = SPECS[self.exercise]
        rec = {"name": check.name, "public": check.public, "edge": check.edge, "passed": False}
        runs = self.learner.future.result()  # also guarantees prepare() has run
        found = self.learner.exercises[self.exercise]
        if found.reason:
            return {**rec, "detail": found.reason}
        run = runs[self.exercise]
        if run.stopped and run.stopped.startswith("the sandbox could not start"):
            raise RuntimeError(run.stopped)  # the machine's fault, not the learner's: never saved as a grade
        forbidden = f"; it tried to import {', '.join(run.forbidden)}, which this course forbids" if run.forbidden else ""
        if run.load_error:
            return {**rec, "detail": f"running the graded cell failed: {run.load_error}{forbidden}"}
        start = self.learner.offsets[self.exercise][index]
        draws = self.learner.inputs[self.exercise][index]
        for k, inputs in enumerate(draws):  # the check passes only if every draw does
            result = run.results[start + k]
            if result is None:
                return {**rec, "detail": run.stopped or "not run"}
            draw = f"draw {k + 1} of {len(draws)}" if len(draws) > 1 else ""
            if result[0] == "error":
                j = error_feedback(spec, check, result[1], draw)
                j.detail += forbidden
            else:
                j = evaluate(spec, check, inputs, result[1], draw)
            if not j.passed:
                return {**rec, "detail": j.detail, "hint": j.hint}
        return {**rec, "passed": True}


class Learner:
    """One learner: the cases pytest runs, and (in a worker thread) the parsing and inputs."""

    def __init__(self, id: str, sub: submissions.Submission, options: Options) -> None:
        self.id, self.sub, self.options = id, sub, options
        self.cases = [Case(self, e.name) for e in course.EXERCISES]
        self.future: Future = Future()
        self.remaining = len(self.cases)
        self.exercises: dict[str, submissions.Exercise] = {}
        self.inputs: dict[str, list[list[dict]]] = {}  # exercise -> per check, its draws
        self.offsets: dict[str, list[int]] = {}  # exercise -> where each check's draws start in the job

    def prepare(self) -> None:
        """Find the graded cells and draw every check's inputs (before the sandbox run; off pytest's thread)."""
        self.exercises = submissions.exercises(self.sub, self.options.forbidden)
        for name, ex in self.exercises.items():
            if ex.source is None:
                continue
            self.inputs[name] = [make_inputs(SPECS[name], c, self.id) for c in checks_for(name)]
            sizes = [len(d) for d in self.inputs[name]]
            self.offsets[name] = [sum(sizes[:i]) for i in range(len(sizes))]


    def jobs(self) -> list[ExerciseJob]:
        out = []
        for name, ex in self.exercises.items():
            if ex.source is None:
                continue
            spec = SPECS[name]
            out.append(ExerciseJob(name, ex.source, ex.imports, list(course.get(name).requires) + list(spec.oracles),
                                   spec.kind, [inputs for draws in self.inputs[name] for inputs in draws]))
        return out


class GradingRun:
    def __init__(self, submissions_dir: Path, out: Path, options: Options | None = None) -> None:
        self.root, self.out = Path(submissions_dir), Path(out)
        self.options = options or Options()
        self.config = config_digest(self.options)
        self.state_dir = self.out / ".state"
        self.learners: list[Learner] = []
        self.results: dict[str, dict] = {}
        self.sandbox: Sandbox | None = None
        self.internal_errors: list[str] = []
        self._lock = threading.Lock()
        self._done = 0
        self._t0 = 0.0

    # ------------------------------------------------------------------ driving
    def grade(self) -> list[dict]:
        self._t0 = time.perf_counter()
        # Refuse before touching anything when no allowed sandbox layer works here (SandboxUnavailable).
        detect_layer(self.options.sandbox, self.options.unsafe_no_isolation)
        self.out.mkdir(parents=True, exist_ok=True)
        self.out.chmod(0o700)  # the gradebook is nobody else's business, sandboxed learners included
        entries = submissions.discover(self.root)
        unknown = sorted(set(self.options.only) - {learner for learner, _ in entries})
        if unknown:
            raise ValueError(f"--only {', '.join(unknown)}: no such entry in {self.root} "
                             f"(learners: {', '.join(l for l, _ in entries[:10])}{' ...' if len(entries) > 10 else ''})")
        pending_entries = []
        self.submitted: dict[str, datetime | None] = {}
        self.subs: dict[str, submissions.Submission] = {}
        for learner, path in entries:
            sub = submissions.read(learner, path)
            self.subs[learner] = sub
            self.submitted[learner] = self.options.submitted.get(learner) or (
                late.utc(sub.modified) if sub.modified is not None else None)
            if self.options.only and learner not in self.options.only:
                state = self._load_state(learner, sub, any_config=True)  # kept as it is
                if state is not None:
                    self.results[learner] = state
                continue
            state = None if learner in self.options.only else self._load_state(learner, sub)
            if state is not None:
                self.results[learner] = state
                self._write_outputs(state)  # every format asked for, also for results kept from an earlier run
            else:
                pending_entries.append((learner, sub))
        self.learners = [Learner(learner, sub, self.options) for learner, sub in pending_entries]
        self._total = len(self.learners)
        if self.learners:
            with tempfile.TemporaryDirectory(prefix="lstm-grade-") as tmp:
                self.sandbox = Sandbox(Path(tmp), self.options.limits, self.options.sandbox, self.options.forbidden,
                                       self.options.unsafe_no_isolation)
                self._run_pytest(Path(tmp))
        states = [self.results[learner] for learner, _ in entries if learner in self.results]
        self._write_gradebook(states)
        return states

    def _run_pytest(self, tmp: Path) -> None:
        ini = tmp / "pytest.ini"
        ini.write_text("[pytest]\n")
        args = [str(Path(__file__).with_name("hidden_checks.py")), "-c", str(ini), "--rootdir", str(tmp),
                "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:logging", "-p", "no:warnings",
                "-p", "no:faulthandler", "-p", "no:doctest", "-p", "no:junitxml", "-p", "no:pastebin", "--noconftest", "-s", "--import-mode=importlib",
                "-o", "python_files=hidden_checks.py"]
        # Third-party plugins (nbval imports all of Jupyter: ~15 s) have no business here.
        saved = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
        os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        try:
            code = pytest.main(args, plugins=[_Plugin(self)])
        finally:
            if saved is None:
                os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
            else:
                os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = saved
        unfinished = [lr.id for lr in self.learners if lr.id not in self.results]
        if code not in (0, 1) or unfinished:
            raise RuntimeError(f"the grading session failed (pytest exit code {int(code)}); "
                               f"learners not graded: {', '.join(unfinished) or 'none'}")

    def _start(self) -> None:
        slots: queue.Queue[int] = queue.Queue()
        for k in range(self.options.workers):
            slots.put(k)
        blocked = list(sandbox_lib.withheld_names())
        self._pool = ThreadPoolExecutor(self.options.workers, thread_name_prefix="sandbox")

        def work(learner: Learner) -> None:
            slot = slots.get()
            try:
                learner.prepare()
                learner.future.set_result(self.sandbox.run(learner.jobs(), slot, blocked))
            except BaseException as e:  # noqa: BLE001 - surfaces as an internal error in every case
                learner.future.set_exception(e)
            finally:
                slots.put(slot)

        for learner in self.learners:
            self._pool.submit(work, learner)

    def _stop(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.sandbox.close()

    # ------------------------------------------------------------------ one learner done
    def _case_done(self, case: Case, longrepr: str | None) -> None:
        learner = case.learner
        if case.records is None:  # the case never ran its body (a pytest-level error)
            case.records = [{"name": c.name, "public": c.public, "edge": c.edge, "passed": False,
                             "detail": "the grader failed on this check; ask the instructor for a regrade",
                             "internal": (longrepr or "pytest did not run this case")[-500:]}
                            for c in checks_for(case.exercise)]
        learner.remaining -= 1
        if learner.remaining == 0:
            self._finish(learner)

    def _finish(self, learner: Learner) -> None:
        exs = {}
        internal = []
        for e in course.EXERCISES:
            case = next(c for c in learner.cases if c.exercise == e.name)
            recs = case.records
            found = learner.exercises.get(e.name) or submissions.Exercise(e.name)
            passed = sum(r["passed"] for r in recs)
            internal += [f"{e.name}: {r['internal']}" for r in recs if r.get("internal")]
            for r in recs:
                r.pop("internal", None)
            exs[e.name] = {"points": score(recs, e.points), "max": e.points,
                           "passed": passed, "checks": recs if not found.reason else [],
                           "reason": found.reason, "notes": found.notes,
                           "attempted": case.attempted}
        state = {"learner": learner.id, "digest": learner.sub.digest(), "config": self.config,
                 "total": round(sum(r["points"] for r in exs.values()), 2), "max": course.total_points(),
                 "notes": learner.sub.notes, "exercises": exs, "sandbox": self.sandbox.describe(),
                 "internal_errors": internal}
        if internal:
            self.internal_errors.append(learner.id)
        self.results[learner.id] = state
        self._write_outputs(state)
        if not state["internal_errors"]:  # written last: it marks the learner as done for a resume
            reports.write_atomic(self.state_dir / f"{learner.id}.json", json.dumps(state, indent=1, sort_keys=True))
        self._done += 1
        self._progress()

    def view(self, state: dict) -> dict:
        """A learner's result as the reports show it: the raw score, the late penalty, the final total."""
        learner = state["learner"]
        due = self.options.extensions.get(learner, self.options.due)
        info = late.lateness(state["total"], getattr(self, "submitted", {}).get(learner), due, self.options.late_policy)
        penalty = info["penalty"] if info else 0.0
        return {**state, "raw": state["total"], "late": info, "penalty": penalty,
                "total": round(state["total"] - penalty, 2), "late_policy": self.options.late_policy.describe()}

    def _write_outputs(self, state: dict) -> None:
        """The per-learner files of every format asked for."""
        learner, v = state["learner"], self.view(state)
        if "feedback" in self.options.formats:
            reports.write_atomic(self.out / "feedback" / f"{learner}.md", reports.feedback_md(v), durable=False)
        if "gradescope" in self.options.formats:
            reports.write_atomic(self.out / "gradescope" / learner / "results.json",
                                 reports.gradescope_json(v, self.options.hidden_visibility), durable=False)

    def _load_state(self, learner: str, sub: submissions.Submission, any_config: bool = False) -> dict | None:
        path = self.state_dir / f"{learner}.json"
        if (self.options.fresh and not any_config) or not submissions.LEARNER_ID.fullmatch(learner) or not path.is_file():
            return None
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        if not any_config and (state.get("digest") != sub.digest() or state.get("config") != self.config):
            return None
        return state

    def _write_gradebook(self, states: list[dict]) -> None:
        views = [self.view(s) for s in states]
        if "csv" in self.options.formats:
            reports.write_atomic(self.out / "grades.csv", reports.grades_csv(views))
        if "canvas" in self.options.formats:
            text, self.roster_problems = reports.canvas_csv(views, self.options.roster)
            reports.write_atomic(self.out / "canvas.csv", text)
        if "similarity" in self.options.formats:
            from . import similarity

            sources = {s["learner"]: {name: ex.source or "" for name, ex in
                                      submissions.exercises(self.subs[s["learner"]], self.options.forbidden).items()}
                       for s in states}
            data, page = similarity.report(sources)
            reports.write_atomic(self.out / "similarity.json", json.dumps(data, indent=1, sort_keys=True) + "\n")
            reports.write_atomic(self.out / "similarity.html", page)
        if "summary" in self.options.formats:
            layers = sorted({s["sandbox"] for s in states})
            text, data = reports.summary(views, layers, getattr(self, "roster_problems", None))
            reports.write_atomic(self.out / "summary.md", text)
            reports.write_atomic(self.out / "summary.json", json.dumps(data, indent=1, sort_keys=True) + "\n")

    def _progress(self) -> None:
        if not self.options.progress:
            return
        n, total = self._done, self._total
        rate = n / max(time.perf_counter() - self._t0, 1e-9)
        bar = "#" * int(30 * n / total) + "." * (30 - int(30 * n / total))
        end = "\n" if n == total else ""
        if sys.stderr.isatty():
            print(f"\rgrading [{bar}] {n}/{total} learners, {rate:.1f}/s", end=end, file=sys.stderr, flush=True)
        elif n == total or n % max(1, total // 10) == 0:
            print(f"grading: {n}/{total} learners, {rate:.1f}/s", file=sys.stderr, flush=True)


class _Plugin:
    """Feeds the run's cases to pytest and hears back when each one is finished."""

    def __init__(self, run: GradingRun) -> None:
        self.run = run
        self.cases = [c for lr in run.learners for c in lr.cases]

    def pytest_generate_tests(self, metafunc) -> None:
        if "grading_case" in metafunc.fixturenames:
            metafunc.parametrize("grading_case", self.cases, ids=[c.id for c in self.cases])

    def pytest_collection_modifyitems(self, session, config, items) -> None:
        # Only our parametrized test belongs to a grading session.
        items[:] = [i for i in items if getattr(i, "callspec", None) and "grading_case" in i.callspec.params]

    def pytest_sessionstart(self, session) -> None:
        self.run._start()

    def pytest_sessionfinish(self, session, exitstatus) -> None:
        self.run._stop()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        yield
        self.run._case_done(item.callspec.params["grading_case"], None)
