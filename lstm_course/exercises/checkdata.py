"""The public-check data format: one ``.npz`` per exercise in ``lstm_course/data/public_checks/``.

Inputs and expected outputs are plain arrays produced by the reference (``lstm-course
sync-exercises`` writes them), so the checks run in the student edition where the reference
is gone. A file holds, for the exercise ``<name>.npz``:

    __meta__                      0-d str array: JSON {"format": 1, "exercise": name,
                                  "cases": [{"id", "about", "rtol", "atol"}, ...]}
    <case>/args/<i>[/<key or j>…]  positional argument i (nested dicts and lists by path)
    <case>/kwargs/<k>[/…]          keyword argument k
    <case>/expected/<path>         an output leaf the check compares; the path indexes the
                                   function's return value (tuple index or dict key), e.g.
                                   ``expected/1/0`` is h_T of ``(h, (h_T, c_T), cache)``.
                                   Leaves not stored (caches) are not compared.
    <case>/wrong/<hint>/<path>     the same leaves as computed by a typical mistake; ``hint`` is
                                   a key of :data:`lstm_course.exercises.hints.HINTS`

Scalars are 0-d arrays and come back as Python numbers. Path segments that are digits index
a list or tuple; others are dict keys. Load with ``allow_pickle=False``: nothing in a file can
execute code, so the grader may read these files next to untrusted submissions.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import numpy as np

FORMAT = 1
DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "public_checks"

#: How far two CPUs may disagree on the same reference output, per floating-point dtype:
#: (rtol, atol) for ``np.allclose``. SIMD exp/tanh and BLAS kernels round differently on each CPU
#: (measured: at most 5e-15 relative in float64 between AVX-512, AVX2 and x86-64-v2 kernels), while
#: a changed reference moves outputs by far more than this. Drift checks of generated data use it,
#: so they catch a changed reference and not a changed machine. This is the one place it is stated.
ROUNDING_TOLERANCE: dict[str, tuple[float, float]] = {"float64": (1e-10, 1e-12), "float32": (1e-4, 1e-6)}


def same_up_to_rounding(a: np.ndarray, b: np.ndarray) -> bool:
    """Do two stored arrays hold the same data, allowing floats the CPU's rounding (:data:`ROUNDING_TOLERANCE`)?

    Shapes and dtypes must match exactly; integers, booleans and strings must be equal.
    """
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind != "f":
        return bool(np.array_equal(a, b))
    if a.dtype.name not in ROUNDING_TOLERANCE:
        raise ValueError(f"no rounding tolerance for dtype {a.dtype.name}; add it to ROUNDING_TOLERANCE")
    rtol, atol = ROUNDING_TOLERANCE[a.dtype.name]
    return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))


def path_for(name: str, data_dir: Path | None = None) -> Path:
    return (data_dir or DATA_DIR) / f"{name}.npz"


def flatten(prefix: str, value: Any) -> Iterator[tuple[str, np.ndarray]]:
    """(path, array) for every leaf of a nest of tuples, lists, dicts, arrays and numbers."""
    if isinstance(value, dict):
        for k, v in value.items():
            if "/" in str(k) or str(k).isdigit():
                raise ValueError(f"dict key {k!r} cannot be stored in a check file")
            yield from flatten(f"{prefix}/{k}", v)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from flatten(f"{prefix}/{i}", v)
    else:
        yield prefix, np.asarray(value)


def unflatten(leaves: dict[str, np.ndarray]) -> Any:
    """Inverse of :func:`flatten` (relative paths): digit segments build lists, others dicts."""
    if list(leaves) == [""]:
        return _leaf(leaves[""])
    groups: dict[str, dict[str, np.ndarray]] = {}
    for path, arr in leaves.items():
        head, _, rest = path.partition("/")
        groups.setdefault(head, {})[rest] = arr
    if all(k.isdigit() for k in groups):
        return [unflatten(groups[str(i)]) for i in range(len(groups))]
    return {k: unflatten(v) for k, v in groups.items()}


def _leaf(a: np.ndarray) -> Any:
    return a.item() if a.ndim == 0 and a.dtype.kind in "fiub" else a


def get_path(value: Any, path: str) -> Any:
    """Follow ``path`` ("1/0", "3/W_f") into a return value; LookupError says where it broke."""
    here = value
    for seg in [s for s in path.split("/") if s]:
        if isinstance(here, dict):
            if seg not in here:
                raise LookupError(f"has no key {seg!r} (keys: {', '.join(map(str, here))})")
            here = here[seg]
        elif isinstance(here, (list, tuple)) and seg.isdigit():
            if int(seg) >= len(here):
                raise LookupError(f"has {len(here)} items, item {seg} was expected")
            here = here[int(seg)]
        else:
            raise LookupError(f"is a {type(here).__name__}, but item {seg!r} was expected inside it")
    return here


def save(path: Path, name: str, cases: list[dict[str, Any]], call_params: dict[str, list[str]] | None = None) -> None:
    """Write cases ``{"id", "about", "rtol", "atol", "args", "kwargs", "expected": {path: value},
    "wrong": {hint: {path: value}}, "calls": {fn: [{"args", "kwargs", "out"}, ...]}}``."""
    arrays: dict[str, np.ndarray] = {}
    meta = {"format": FORMAT, "exercise": name, "cases": [], "call_params": call_params or {}}
    for case in cases:
        cid = case["id"]
        meta["cases"].append({k: case[k] for k in ("id", "about", "rtol", "atol")})
        arrays.update(flatten(f"{cid}/args", list(case["args"])))
        for k, v in case.get("kwargs", {}).items():
            arrays.update(flatten(f"{cid}/kwargs/{k}", v))
        for p, v in case["expected"].items():
            arrays.update(flatten(f"{cid}/expected/{p}", v))
        for hint, outs in case.get("wrong", {}).items():
            for p, v in outs.items():
                arrays.update(flatten(f"{cid}/wrong/{hint}/{p}", v))
        for fn, calls in case.get("calls", {}).items():
            for k, call in enumerate(calls):
                arrays.update(flatten(f"{cid}/calls/{fn}/{k}/args", list(call["args"])))
                for kw, v in call["kwargs"].items():
                    arrays.update(flatten(f"{cid}/calls/{fn}/{k}/kwargs/{kw}", v))
                arrays.update(flatten(f"{cid}/calls/{fn}/{k}/out", call["out"]))
    arrays["__meta__"] = np.array(json.dumps(meta, sort_keys=True))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(path)


def load(name: str, data_dir: Path | None = None, calls: bool = True) -> list[dict[str, Any]]:
    """The cases of exercise ``name``: dicts with id, about, rtol, atol, args (list), kwargs (dict),
    expected ({path: array}), wrong ({hint: {path: array}}), calls ({fn: [{"args", "kwargs", "out"}]})
    and call_params ({fn: [parameter names]}). ``calls=False`` skips reading the recorded calls
    (the grader answers prerequisites itself)."""
    path = path_for(name, data_dir)
    if not path.is_file():
        raise FileNotFoundError(f"no public-check data for {name!r} at {path}; the instructor regenerates it with `lstm-course sync-exercises`")
    with np.load(path, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files if calls or "/calls/" not in k}
    meta = json.loads(str(data.pop("__meta__")))
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path} has check-data format {meta.get('format')}, this code reads format {FORMAT}")
    cases = []
    for cm in meta["cases"]:
        cid = cm["id"]
        mine = {k[len(cid) + 1:]: v for k, v in data.items() if k.startswith(cid + "/")}
        part = lambda pre: {k[len(pre):]: v for k, v in mine.items() if k.startswith(pre)}  # noqa: E731
        args = part("args/")
        kwargs = part("kwargs/")
        wrong_flat = part("wrong/")
        wrong: dict[str, dict[str, Any]] = {}
        for k, v in wrong_flat.items():
            hint, _, p = k.partition("/")
            wrong.setdefault(hint, {})[p] = _leaf(v)
        cases.append({
            **cm,
            "args": unflatten(args) if args else [],
            "kwargs": unflatten(kwargs) if kwargs else {},
            "expected": {k: _leaf(v) for k, v in part("expected/").items()},
            "wrong": wrong,
            "calls": _calls(part("calls/")),
            "call_params": meta.get("call_params", {}),
        })
    return cases


def _calls(flat: dict[str, np.ndarray]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, dict[int, dict[str, dict[str, np.ndarray]]]] = {}
    for key, v in flat.items():
        fn, k, what, *rest = key.split("/")
        grouped.setdefault(fn, {}).setdefault(int(k), {}).setdefault(what, {})["/".join(rest)] = v
    out = {}
    for fn, calls in grouped.items():
        out[fn] = [{"args": unflatten(c["args"]) if "args" in c else [],
                    "kwargs": unflatten(c["kwargs"]) if "kwargs" in c else {},
                    "out": unflatten(c["out"])} for _, c in sorted(calls.items())]
    return out
