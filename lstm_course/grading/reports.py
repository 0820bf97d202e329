"""Gradebook files: written atomically, free of timestamps, so a resumed run writes the same bytes.

    grades.csv                  learner, one column per exercise, total, max
    feedback/<learner>.md       what passed; public failures with expected / got / hint; hidden
                                failures with a hint only; the reason for anything not run
    summary.md, summary.json    per-exercise mean and the histogram of totals; the sandbox layer
    gradescope/<learner>/results.json   Gradescope's autograder format (on request)
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
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["learner", *[e.name for e in course.EXERCISES], "total", "max"])
    for s in states:
        w.writerow([s["learner"], *[_fmt(s["exercises"][e.name]["points"]) for e in course.EXERCISES],
                    _fmt(s["total"]), s["max"]])
    return buf.getvalue()


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
    lines += [f"- Note: {note}" for note in s["notes"]]
    if s["notes"]:
        lines.append("")
    for e in course.EXERCISES:
        lines += exercise_md(e, s["exercises"][e.name])
    return "\n".join(lines)


def gradescope_json(s: dict) -> str:
    """Gradescope's results.json: one test per exercise, its feedback as the output."""
    tests = [{"name": e.name, "score": s["exercises"][e.name]["points"], "max_score": e.points,
              "output": "\n".join(exercise_md(e, s["exercises"][e.name])).strip(), "visibility": "visible"}
             for e in course.EXERCISES]
    out = {"score": s["total"], "tests": tests, "output": "\n".join(s["notes"]) or "Graded by lstm-course.",
           "visibility": "visible", "stdout_visibility": "hidden"}
    return json.dumps(out, indent=2, sort_keys=True) + "\n"


def summary(states: list[dict], sandbox: list[str]) -> tuple[str, dict]:
    totals = [s["total"] for s in states]
    max_total = course.total_points()
    per_ex = {e.name: {"mean": round(statistics.fmean([s["exercises"][e.name]["points"] for s in states]), 3) if states else 0.0,
                       "max": e.points,
                       "full_marks": sum(s["exercises"][e.name]["points"] == e.points for s in states)}
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
        "histogram": [{"from": round(i * max_total / bins, 2), "to": round((i + 1) * max_total / bins, 2), "learners": n}
                      for i, n in enumerate(hist)],
        "sandbox": sandbox,
        "not_graded": sorted({s["learner"] for s in states if s.get("internal_errors")}),
    }
    lines = [f"# Grading summary: {len(states)} learners", "",
             f"Mean {data['mean']:.2f} / {max_total}, median {data['median']:.2f}.", "",
             "| exercise | points | mean | full marks |", "|---|---|---|---|"]
    lines += [f"| {n} | {v['max']} | {v['mean']:.2f} | {v['full_marks']} |" for n, v in per_ex.items()]
    lines += ["", "Totals:", "", "```"]
    width = max(hist) or 1
    for h in data["histogram"]:
        lines.append(f"{h['from']:>5g}-{h['to']:<5g} {'#' * round(30 * h['learners'] / width):<30} {h['learners']}")
    lines += ["```", "", "Sandbox layer used: " + "; ".join(sandbox)]
    if data["not_graded"]:
        lines += ["", "GRADER ERRORS (these learners need a regrade): " + ", ".join(data["not_graded"])]
    return "\n".join(lines) + "\n", data


def table(states: list[dict], limit: int = 40) -> str:
    """The terminal's final table."""
    short = [e.name.replace("lstm_", "").replace("_forward", "_fwd").replace("_backward", "_bwd")[:9] for e in course.EXERCISES]
    width = max([7] + [len(s["learner"]) for s in states[:limit]])
    head = f"{'learner':<{width}} " + " ".join(f"{n:>9}" for n in short) + f" {'total':>7}"
    rows = [head, "-" * len(head)]
    for s in states[:limit]:
        rows.append(f"{s['learner']:<{width}} " + " ".join(f"{_fmt(s['exercises'][e.name]['points']):>9}"
                                                          for e in course.EXERCISES)
                    + f" {_fmt(s['total']):>7}")
    if len(states) > limit:
        rows.append(f"... and {len(states) - limit} more (see grades.csv)")
    return "\n".join(rows)
