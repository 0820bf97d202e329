"""Mutation score of the grader's checks: how many small changes to each reference solution they catch.

For every exercise, the reference solution (the graded cell as the notebooks hold it) is mutated
one change at a time inside its ``### BEGIN SOLUTION`` block: an operator swapped (+ -, * /, @ *),
an operand dropped, a sign removed, a constant changed (0 1 2, an epsilon dropped), a comparison
flipped, a function swapped (σ tanh, σ' tanh', min max, sum mean, zeros ones, reversed dropped),
a transpose dropped, an axis changed, a slice flipped ([:H] [H:]), a time index shifted (t±1), a
dict key pointed at another gate (W_f W_i), two call arguments swapped, a statement deleted, a
``+=`` made ``=``. Each mutant is graded by the real checks (``lstm_course.grading.direct``: the
same inputs, oracles, comparison and scoring as ``lstm-course grade``, without the sandbox)
under several learner ids:

    killed      it loses points under every id
    unfair      it loses points under some ids only (must be none: a grade depends on the code alone)
    equivalent  it computes the same function: its results equal the reference's (to 1e-9) on a
                broader battery than the checks draw (sizes may repeat, N = 1, T = 1, the public
                cases, the hidden draws of other ids); such mutants cannot be caught and are not
                counted
    survived    none of the above: a mistake the checks miss

and the score is killed / (mutants - equivalent). Run::

    .venv/bin/python benchmarks/mutants.py [--exercise forget_gate ...] [--learners 3] [--show]

It prints one row per exercise and the total; ``--show`` prints every survivor and unfair mutant.
Target (issue 12): at least 98 %. It runs the mutants in this process with no isolation: it only
ever runs mutations of the course's own reference code.
"""
from __future__ import annotations

import argparse
import ast
import copy
import difflib
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lstm_course import course  # noqa: E402
from lstm_course.exercises import sync  # noqa: E402
from lstm_course.grading import checks, direct  # noqa: E402

SWAP_CALLS = {"sigmoid": ["tanh"], "tanh": ["sigmoid"], "sigmoid_grad_from_output": ["tanh_grad_from_output"],
              "tanh_grad_from_output": ["sigmoid_grad_from_output"], "min": ["max"], "max": ["min"],
              "zeros": ["ones"], "zeros_like": ["ones_like"], "sum": ["mean"], "mean": ["sum"]}
SWAP_OPS = {ast.Add: [ast.Sub, ast.Mult], ast.Sub: [ast.Add], ast.Mult: [ast.Div, ast.Add], ast.Div: [ast.Mult],
            ast.MatMult: [ast.Mult], ast.Pow: [ast.Mult]}
SWAP_CMP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
            ast.Is: ast.IsNot, ast.IsNot: ast.Is}
GATE_SWAP = {"f": "i", "i": "f", "C": "o", "o": "C"}
# Names a learner confuses: each read of one may become another of its group.
NAME_GROUPS = [("f_t", "i_t", "o_t", "c_tilde_t"), ("h_prev", "c_prev", "x_t"), ("h_t", "c_t"), ("dh_t", "dc_t", "dc"),
               ("dh_next", "dc_next"), ("h0", "c0"), ("dh_prev", "dc_prev", "dx_t"), ("total_norm", "max_norm", "scale"),
               ("Wh_T", "Wx_T"), ("T", "N", "D", "H")]


@dataclass
class Mutant:
    exercise: str
    line: int
    what: str
    source: str


def _solution_lines(src: str) -> range:
    lines = src.splitlines()
    begin = next(i for i, l in enumerate(lines) if "### BEGIN SOLUTION" in l)
    end = next(i for i, l in enumerate(lines) if "### END SOLUTION" in l)
    return range(begin + 2, end + 1)  # 1-based line numbers strictly between the markers


class _Sites(ast.NodeVisitor):
    """Every (node, replacement description, make) a mutation operator offers, inside ``lines``."""

    def __init__(self, lines: range) -> None:
        self.lines, self.sites = lines, []

    def add(self, node, what, make):
        if getattr(node, "lineno", None) in self.lines:
            self.sites.append((node, what, make))

    def visit_BinOp(self, node):
        for new in SWAP_OPS.get(type(node.op), []):
            self.add(node, f"{type(node.op).__name__} -> {new.__name__}", lambda n, new=new: ast.BinOp(n.left, new(), n.right))
        self.add(node, "drop right operand", lambda n: n.left)
        self.add(node, "drop left operand", lambda n: n.right)
        self.generic_visit(node)

    def visit_UnaryOp(self, node):
        if isinstance(node.op, ast.USub):
            self.add(node, "drop unary minus", lambda n: n.operand)
        self.generic_visit(node)

    def visit_Constant(self, node):
        v = node.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            if isinstance(v, str) and len(v) == 3 and v[:2] in ("W_", "b_") and v[2] in GATE_SWAP:
                self.add(node, f"key {v!r} -> {v[:2] + GATE_SWAP[v[2]]!r}", lambda n: ast.Constant(n.value[:2] + GATE_SWAP[n.value[2]]))
            return
        for new in sorted({0, 1, 2, -v, v + 1} - {v}, key=repr):
            if isinstance(v, float):
                new = float(new)
            self.add(node, f"constant {v!r} -> {new!r}", lambda n, new=new: ast.Constant(new))

    def visit_Compare(self, node):
        if len(node.ops) == 1 and type(node.ops[0]) in SWAP_CMP:
            self.add(node, f"{type(node.ops[0]).__name__} -> {SWAP_CMP[type(node.ops[0])].__name__}",
                     lambda n: ast.Compare(n.left, [SWAP_CMP[type(n.ops[0])]()], n.comparators))
        self.generic_visit(node)

    def visit_IfExp(self, node):
        self.add(node, "conditional: always the first branch", lambda n: n.body)
        self.add(node, "conditional: always the second branch", lambda n: n.orelse)
        self.generic_visit(node)

    def visit_Call(self, node):
        f = node.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
        for new in SWAP_CALLS.get(name, []):
            def make(n, new=new):
                n = copy.copy(n)
                n.func = ast.Name(new, ast.Load()) if isinstance(n.func, ast.Name) else ast.Attribute(n.func.value, new, ast.Load())
                return n
            self.add(node, f"call {name} -> {new}", make)
        if name == "reversed" and node.args:
            self.add(node, "drop reversed()", lambda n: n.args[0])
        if len(node.args) >= 2:
            self.add(node, f"swap the first two arguments of {name}",
                     lambda n: ast.Call(n.func, [n.args[1], n.args[0], *n.args[2:]], n.keywords))
        for i, kw in enumerate(node.keywords):
            if kw.arg == "axis" and isinstance(kw.value, (ast.Constant, ast.UnaryOp)):
                for new in (0, 1, -1):
                    def make(n, i=i, new=new):
                        n = copy.copy(n)
                        n.keywords = list(n.keywords)
                        n.keywords[i] = ast.keyword("axis", ast.Constant(new))
                        return n
                    self.add(node, f"axis -> {new}", make)
        self.generic_visit(node)

    def visit_Attribute(self, node):
        if node.attr == "T":
            self.add(node, "drop .T", lambda n: n.value)
        self.generic_visit(node)

    def visit_Subscript(self, node):
        s = node.slice
        if isinstance(s, ast.Name):
            for d, op in ((1, ast.Add), (-1, ast.Sub)):
                self.add(node, f"index {s.id} -> {s.id}{'+' if d > 0 else '-'}1",
                         lambda n, op=op: ast.Subscript(n.value, ast.BinOp(n.slice, op(), ast.Constant(1)), n.ctx))
        if isinstance(s, ast.Slice):
            self.add(node, "slice flipped ([:a] <-> [a:])", lambda n: ast.Subscript(n.value, ast.Slice(n.slice.upper, n.slice.lower, None), n.ctx))
        if isinstance(s, ast.Tuple):
            for i, e in enumerate(s.elts):
                if isinstance(e, ast.Slice) and (e.lower or e.upper):
                    def make(n, i=i):
                        elts = list(n.slice.elts)
                        elts[i] = ast.Slice(elts[i].upper, elts[i].lower, None)
                        return ast.Subscript(n.value, ast.Tuple(elts, ast.Load()), n.ctx)
                    self.add(node, "slice flipped ([:a] <-> [a:])", make)
        self.generic_visit(node)

    def visit_Tuple(self, node):
        if len(node.elts) >= 2 and isinstance(node.ctx, ast.Load):
            self.add(node, "swap the first two items", lambda n: ast.Tuple([n.elts[1], n.elts[0], *n.elts[2:]], n.ctx))
        self.generic_visit(node)

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load):
            for group in NAME_GROUPS:
                if node.id in group:
                    for new in group:
                        if new != node.id:
                            self.add(node, f"read {new} for {node.id}", lambda n, new=new: ast.Name(new, ast.Load()))

    def visit_AugAssign(self, node):
        self.add(node, "+= -> =", lambda n: ast.Assign([n.target], n.value, lineno=n.lineno))
        self.generic_visit(node)


def _statements(tree: ast.AST, lines: range):
    """(parent body, index) of every statement inside ``lines`` that can be deleted alone."""
    for node in ast.walk(tree):
        for field in ("body", "orelse"):
            body = getattr(node, field, None)
            if isinstance(body, list) and len(body) > 1:
                for i, st in enumerate(body):
                    if st.lineno in lines and not isinstance(st, ast.Return):
                        yield body, i


def mutants(exercise: str) -> list[Mutant]:
    src = sync.graded_source(course.get(exercise))
    lines = _solution_lines(src)
    out, seen = [], set()
    base = ast.parse(src)
    sites = _Sites(lines)
    sites.visit(base)
    for node, what, make in sites.sites:
        tree = copy.deepcopy(base)
        target = next(n for n in ast.walk(tree) if ast.dump(n) == ast.dump(node) and getattr(n, "lineno", None) == node.lineno
                      and getattr(n, "col_offset", None) == node.col_offset)
        new = make(copy.deepcopy(target))
        _replace(tree, target, new)
        _emit(exercise, node.lineno, what, tree, src, out, seen)
    for k, (body, i) in enumerate(list(_statements(base, lines))):
        tree = copy.deepcopy(base)
        bodies = list(_statements(tree, lines))
        tbody, ti = bodies[k]
        st = tbody[ti]
        del tbody[ti]
        _emit(exercise, st.lineno, f"delete: {ast.unparse(st).splitlines()[0][:60]}", tree, src, out, seen)
    return out


def _replace(tree, old, new) -> None:
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new
                        return
    raise LookupError("node not found")


def _emit(exercise, line, what, tree, original, out, seen) -> None:
    ast.fix_missing_locations(tree)
    try:
        text = ast.unparse(tree)
        compile(text, "<mutant>", "exec")
    except (SyntaxError, ValueError, TypeError):
        return
    if text in seen or text == ast.unparse(ast.parse(original)):
        return
    seen.add(text)
    out.append(Mutant(exercise, line, what, text))


# --------------------------------------------------------------------------- equivalence
def _same(a, b) -> bool:
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b)
                and all(_same(x, y) for x, y in zip(a, b)))
    if isinstance(a, (np.ndarray, float, int, np.number)) and isinstance(b, (np.ndarray, float, int, np.number)):
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        with np.errstate(all="ignore"):
            return a.shape == b.shape and bool(np.all((np.abs(a - b) <= 1e-9 * (1 + np.abs(b))) | (a == b)
                                                       | (np.isnan(a) & np.isnan(b))))
    return a == b


def _broad_sizes(rng, *names, H3=None, **fixed):
    """Sizes the checks never draw: any of 1..5, equal sizes allowed (H >= 2 for the large units)."""
    return {**{n: int(rng.integers(2 if n == "H" else 1, 6)) for n in names}, **fixed}


def battery(exercise: str, n_learners: int = 8) -> list[dict]:
    """Inputs to tell a mutant from the reference: public cases, other ids' hidden draws, broad draws."""
    spec = checks.SPECS[exercise]
    out = []
    for c in checks.checks_for(exercise):
        for k in range(n_learners):
            out += checks.make_inputs(spec, c, f"battery-{k}")
            if c.public:
                break
    saved = checks._sizes
    checks._sizes = _broad_sizes  # the same input makers, with sizes the checks avoid on purpose
    try:
        for c in checks.checks_for(exercise):
            if not c.public:
                for k in range(n_learners):
                    out += checks.make_inputs(spec, c, f"broad-{k}")
    finally:
        checks._sizes = saved
    return out


def equivalent(exercise: str, mutant_fn, reference_fn, inputs: list[dict]) -> bool:
    for inp in inputs:
        a, b = direct.run_one(exercise, mutant_fn, inp), direct.run_one(exercise, reference_fn, inp)
        if a[0] != b[0]:
            return False
        if a[0] == "error":
            if a[1].split(":")[0] != b[1].split(":")[0]:
                return False
        elif not _same(a[1], b[1]):
            return False
    return True


# --------------------------------------------------------------------------- the measurement
def measure(exercise: str, learners: list[str]) -> dict:
    full = course.get(exercise).points
    ref = direct.load_function(exercise, sync.graded_source(course.get(exercise)))
    inputs = None
    rows = {"killed": [], "unfair": [], "equivalent": [], "survived": []}
    for m in mutants(exercise):
        scores = [direct.grade_source(exercise, m.source, learner, explain=False)[0] for learner in learners]
        if all(s < full for s in scores):
            rows["killed"].append(m)
            continue
        if any(s < full for s in scores):
            rows["unfair"].append((m, scores))
            continue
        if inputs is None:
            inputs = battery(exercise)
        try:
            fn = direct.load_function(exercise, m.source)
        except Exception:  # noqa: BLE001 - a mutant whose cell does not run is not equivalent, and was killed above
            rows["survived"].append(m)
            continue
        rows["equivalent" if equivalent(exercise, fn, ref, inputs) else "survived"].append(m)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--exercise", action="append", help="only these exercises (repeatable; default: all)")
    ap.add_argument("--learners", type=int, default=4, help="learner ids each mutant is graded under (default 4)")
    ap.add_argument("--show", action="store_true", help="print every surviving and unfair mutant")
    args = ap.parse_args()
    names = args.exercise or [e.name for e in course.EXERCISES]
    learners = [f"mutant-learner-{k}" for k in range(args.learners)]
    t0 = time.perf_counter()
    total = {k: 0 for k in ("mutants", "killed", "unfair", "equivalent", "survived")}
    print(f"{'exercise':20s} {'mutants':>8s} {'killed':>7s} {'unfair':>7s} {'equiv.':>7s} {'survived':>9s} {'score':>7s}")
    shown = []
    for name in names:
        rows = measure(name, learners)
        n = sum(len(v) for v in rows.values())
        counted = n - len(rows["equivalent"])
        pct = 100.0 * len(rows["killed"]) / counted if counted else 100.0
        print(f"{name:20s} {n:8d} {len(rows['killed']):7d} {len(rows['unfair']):7d} {len(rows['equivalent']):7d} "
              f"{len(rows['survived']):9d} {pct:6.1f}%", flush=True)
        total["mutants"] += n
        for k in ("killed", "unfair", "equivalent", "survived"):
            total[k] += len(rows[k])
        shown += [("survived", m, None) for m in rows["survived"]] + [("unfair", m, s) for m, s in rows["unfair"]]
        if args.show:
            for m in rows["equivalent"]:
                print(f"    equivalent  line {m.line}: {m.what}")
    counted = total["mutants"] - total["equivalent"]
    pct = 100.0 * total["killed"] / counted if counted else 100.0
    print(f"{'total':20s} {total['mutants']:8d} {total['killed']:7d} {total['unfair']:7d} {total['equivalent']:7d} "
          f"{total['survived']:9d} {pct:6.1f}%")
    print(f"mutation score: {pct:.1f}% of {counted} non-equivalent mutants caught under each of {len(learners)} learner ids "
          f"(target >= 98%); {total['unfair']} scored differently under different ids; {time.perf_counter() - t0:.0f} s")
    if args.show:
        for kind, m, scores in shown:
            print(f"\n{kind}: {m.exercise} line {m.line}: {m.what}" + (f" (scores {scores})" if scores else ""))
            original = ast.unparse(ast.parse(sync.graded_source(course.get(m.exercise)))).splitlines()
            for line in difflib.unified_diff(original, m.source.splitlines(), lineterm="", n=1):
                if not line.startswith(("---", "+++")):
                    print("    " + line)


if __name__ == "__main__":
    main()
