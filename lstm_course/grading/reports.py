"""Gradebook files: written atomically, free of timestamps, so a resumed run writes the same bytes.

    grades.csv                  learner, one column per exercise, total, max
    feedback/<learner>.md       what passed; public failures with expected / got / hint; hidden
                                failures with a hint only; the reason for anything not run
    summary.md, summary.json    per-exercise mean, the histogram of totals, what the class got wrong
                                (failures per check, how often each hint fired); the sandbox layer
    gradescope/<learner>/results.json   Gradescope's autograder format (on request)
    canvas.csv                  a gradebook Canvas imports (on request, with a roster)
    .state/<learner>.json       one learner's result, the unit of resuming
"""
from __future__ import annotations

import csv
import io
import json
import os
import statistics
from pathlib import Path

from .. import course
from .checks import credits

VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")
CANVAS_ASSIGNMENT = "LSTM course exercises"


def write_atomic(path: Path, text: str, durable: bool = True) -> None:
    """Write ``text`` to ``path`` so that a reader (or a killed run) sees the old file or the new, never half.

    ``durable`` also survives a power cut (fsync): the gradebook and the resume state need it;
    feedback is regenerated from the state anyway."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
        if durable:
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, path)


def _fmt(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


def grades_csv(states: list[dict]) -> str:
    """One row per learner: each exercise's points, the raw total, the late penalty, the total, the maximum."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["learner", *[e.name for e in course.EXERCISES], "raw", "penalty", "total", "max"])
    for s in states:
        w.writerow([s["learner"], *[_fmt(s["exercises"][e.name]["points"]) for e in course.EXERCISES],
                    _fmt(s.get("raw", s["total"])), _fmt(s.get("penalty", 0)), _fmt(s["total"]), s["max"]])
    return buf.getvalue()


def canvas_csv(states: list[dict], roster: list[dict], assignment: str = CANVAS_ASSIGNMENT) -> tuple[str, dict]:
    """Canvas's gradebook import layout (Student, ID, SIS User ID, SIS Login ID, Section, then the
    assignment, with a "Points Possible" row), learners mapped through the roster. Returns the
    text and {"not_in_roster": [...], "not_submitted": [...]}: nobody is dropped silently."""
    by_learner = {s["learner"]: s for s in states}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment])
    w.writerow(["    Points Possible", "", "", "", "", course.total_points()])
    problems = {"not_in_roster": sorted(set(by_learner) - {r["learner"] for r in roster}), "not_submitted": []}
    for row in roster:
        s = by_learner.get(row["learner"])
        if s is None:
            problems["not_submitted"].append(row["learner"])
        w.writerow([row.get("name") or row["learner"], "", row["sis_user_id"], "", "", _fmt(s["total"]) if s else 0])
    return buf.getvalue(), problems


def read_roster(path: Path) -> list[dict]:
    """The roster CSV (columns learner, sis_user_id, optional name); a clear error for anything else."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    if not rows or "learner" not in rows[0] or "sis_user_id" not in rows[0]:
        raise ValueError(f"{path} must be a CSV with the columns learner and sis_user_id (and optionally name)")
    seen = set()
    for i, r in enumerate(rows, start=2):
        if not r["learner"] or not r["sis_user_id"]:
            raise ValueError(f"{path}, line {i}: learner and sis_user_id must not be empty")
        if r["learner"] in seen:
            raise ValueError(f"{path}, line {i}: learner {r['learner']!r} is listed twice")
        seen.add(r["learner"])
    return [{k: (v or "").strip() for k, v in r.items() if k} for r in rows]


def exercise_md(e: course.Exercise, r: dict) -> list[str]:
    """The feedback lines of one exercise (Markdown)."""
    lines = [f"## {e.name} ({e.notebook}): {_fmt(r['points'])} / {e.points}", ""]
    if r["reason"]:
        return lines + [f"Not graded: {r['reason']}.", ""]
    lines += [f"- Note: {note}" for note in r["notes"]]
    if not r.get("attempted", True):
        return lines + ["Not attempted: the graded cell still raises NotImplementedError.", ""]
    core_ok = all(c["passed"] for c in r["checks"] if not c.get("edge"))
    for c in r["checks"]:
        line = f"- {'PASS' if c['passed'] else 'FAIL'} {c['name']}"
        if c.get("edge") and c["passed"] and not core_ok:
            line += " (an edge case: it counts once every other check passes)"
        if not c["passed"]:
            if c.get("detail"):
                line += f": {c['detail']}"
            if c.get("hint"):
                line += f". Hint: {c['hint']}"
        lines.append(line)
    if e.requires:
        lines.append(f"- Graded with the reference {', '.join(e.requires)}, so a mistake in an earlier "
                     "exercise does not cost points here too.")
    return lines + [""]


def feedback_md(s: dict) -> str:
    lines = [f"# Feedback for {s['learner']}: {_fmt(s['total'])} / {s['max']} points", ""]
    notes = list(s["notes"])
    if s.get("late"):
        notes.insert(0, _late_text(s))
    lines += [f"- Note: {note}" for note in notes]
    if notes:
        lines.append("")
    for e in course.EXERCISES:
        lines += exercise_md(e, s["exercises"][e.name])
    return "\n".join(lines)


def _late_text(s: dict) -> str:
    late = s["late"]
    if late["days_late"] <= 0:
        return f"Submitted {late['submitted']}, before the due date {late['due']}: no late penalty."
    hours = late["days_late"] * 24
    how = f"{hours:.1f} hours" if hours < 48 else f"{late['days_late']:.1f} days"
    return (f"Submitted {late['submitted']}, {how} after the due date {late['due']}: {late['percent']:g}% of the "
            f"{_fmt(s['raw'])} points earned, {_fmt(late['penalty'])} points, taken off ({s.get('late_policy', '')}).")


def gradescope_json(s: dict, hidden_visibility: str = "visible") -> str:
    """Gradescope's results.json: per exercise a test for its public checks and one for its hidden
    checks (shown as ``hidden_visibility`` says), Markdown output, a status on every test."""
    tests = []
    for e in course.EXERCISES:
        r = s["exercises"][e.name]
        md = "\n".join(exercise_md(e, r)).strip()
        if r["reason"] or not r.get("attempted", True) or not r["checks"]:
            tests.append({"name": e.name, "score": r["points"], "max_score": e.points, "output": md,
                          "status": "passed" if r["points"] == e.points else "failed", "visibility": "visible"})
            continue
        earned = credits(r["checks"], e.points)
        for public, label, vis in ((True, "public checks", "visible"), (False, "hidden checks", hidden_visibility)):
            part = [(c, x) for c, x in zip(r["checks"], earned) if c["public"] == public]
            if not part:
                continue
            sub = {**r, "checks": [c for c, _ in part]}
            out = "\n".join(exercise_md(e, sub)[2:]).strip()
            got, most = round(sum(x for _, x in part), 2), round(e.points * len(part) / len(r["checks"]), 2)
            tests.append({"name": f"{e.name}: {label}", "score": got, "max_score": most, "output": out,
                          "status": "passed" if all(c["passed"] for c, _ in part) else "failed", "visibility": vis})
    notes = ([_late_text(s)] if s.get("late") else []) + list(s["notes"])
    out = {"score": s["total"], "tests": tests, "output": "\n\n".join(notes) or "Graded by lstm-course.",
           "output_format": "md", "test_output_format": "md", "visibility": "visible", "stdout_visibility": "hidden"}
    return json.dumps(out, indent=2, sort_keys=True) + "\n"


def summary(states: list[dict], sandbox: list[str], roster_problems: dict | None = None) -> tuple[str, dict]:
    totals = [s["total"] for s in states]
    max_total = course.total_points()
    per_ex = {e.name: {"mean": round(statistics.fmean([s["exercises"][e.name]["points"] for s in states]), 3) if states else 0.0,
                       "max": e.points,
                       "full_marks": sum(s["exercises"][e.name]["points"] == e.points for s in states)}
              for e in course.EXERCISES}
    # What the class got wrong: per check, how many learners failed it (among those whose
    # exercise ran), and how often each hint fired.
    failed: dict[str, dict[str, int]] = {e.name: {} for e in course.EXERCISES}
    hints: dict[str, int] = {}
    for s in states:
        for e in course.EXERCISES:
            r = s["exercises"][e.name]
            if r["reason"] or not r.get("attempted", True):
                continue
            for c in r["checks"]:
                failed[e.name].setdefault(c["name"], 0)
                if not c["passed"]:
                    failed[e.name][c["name"]] += 1
                    if c.get("hint"):
                        hints[c["hint"]] = hints.get(c["hint"], 0) + 1
    not_attempted = {e.name: sum(1 for s in states if not s["exercises"][e.name].get("attempted", True))
                     for e in course.EXERCISES}
    bins = 10
    hist = [0] * bins
    for t in totals:
        hist[min(bins - 1, int(t / max_total * bins))] += 1
    data = {
        "learners": len(states), "max": max_total,
        "mean": round(statistics.fmean(totals), 3) if totals else 0.0,
        "median": round(statistics.median(totals), 3) if totals else 0.0,
        "exercises": per_ex,
        "failed_checks": failed, "hints": dict(sorted(hints.items(), key=lambda kv: (-kv[1], kv[0]))),
        "not_attempted": not_attempted,
        "late": sorted(s["learner"] for s in states if s.get("penalty")),
        "histogram": [{"from": round(i * max_total / bins, 2), "to": round((i + 1) * max_total / bins, 2), "learners": n}
                      for i, n in enumerate(hist)],
        "sandbox": sandbox,
        "not_graded": sorted({s["learner"] for s in states if s.get("internal_errors")}),
    }
    if roster_problems is not None:
        data["roster"] = roster_problems
    lines = [f"# Grading summary: {len(states)} learners", "",
             f"Mean {data['mean']:.2f} / {max_total}, median {data['median']:.2f}.", "",
             "| exercise | points | mean | full marks | not attempted |", "|---|---|---|---|---|"]
    lines += [f"| {n} | {v['max']} | {v['mean']:.2f} | {v['full_marks']} | {not_attempted[n]} |" for n, v in per_ex.items()]
    lines += ["", "Totals:", "", "```"]
    width = max(hist) or 1
    for h in data["histogram"]:
        lines.append(f"{h['from']:>5g}-{h['to']:<5g} {'#' * round(30 * h['learners'] / width):<30} {h['learners']}")
    lines += ["```", "", "## What the class got wrong", "", "| exercise | check | learners who failed it |", "|---|---|---|"]
    rows = sorted(((n, c, k) for n, cs in failed.items() for c, k in cs.items() if k), key=lambda t: (-t[2], t[0], t[1]))
    lines += [f"| {n} | {c} | {k} |" for n, c, k in rows] or ["| (none) | | |"]
    if hints:
        lines += ["", "| hint given | times |", "|---|---|"] + [f"| {h} | {k} |" for h, k in data["hints"].items()]
    if data["late"]:
        lines += ["", "Late (a penalty applied): " + ", ".join(data["late"])]
    if roster_problems is not None:
        for key, text in (("not_in_roster", "Graded but not in the roster (not in canvas.csv)"),
                          ("not_submitted", "In the roster but no submission (0 in canvas.csv)")):
            if roster_problems[key]:
                lines += ["", f"{text}: " + ", ".join(roster_problems[key])]
    lines += ["", "Sandbox layer used: " + "; ".join(sandbox)]
    if data["not_graded"]:
        lines += ["", "GRADER ERRORS (these learners need a regrade): " + ", ".join(data["not_graded"])]
    return "\n".join(lines) + "\n", data


def table(states: list[dict], limit: int = 40) -> str:
    """The terminal's final table, every exercise under its full name."""
    names = [e.name for e in course.EXERCISES]
    width = max([7] + [len(s["learner"]) for s in states[:limit]])
    head = f"{'learner':<{width}} " + " ".join(f"{n:>{max(len(n), 4)}}" for n in names) + f" {'total':>7}"
    rows = [head, "-" * len(head)]
    for s in states[:limit]:
        rows.append(f"{s['learner']:<{width}} " + " ".join(f"{_fmt(s['exercises'][n]['points']):>{max(len(n), 4)}}"
                                                          for n in names)
                    + f" {_fmt(s['total']):>7}")
    if len(states) > limit:
        rows.append(f"... and {len(states) - limit} more (see grades.csv)")
    return "\n".join(rows)
