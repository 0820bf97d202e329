"""Argument checks that turn a shape mistake into a sentence a learner can act on.

Every public function of the package validates its inputs with :class:`Shapes`, which
binds the letters of the shape legend the first time it sees them and checks every
later argument against them:

    N  batch size          T  sequence length
    D  input size          H  hidden size
    O  output size (readout)

so that ``h_prev`` of shape ``(5, 8)`` after ``x_t`` of shape ``(4, 3)`` fails with
"h_prev: expected shape (N, H) = (4, ?) ... N (batch size) is 4 from x_t, but h_prev has 5".
"""
from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

import numpy as np

LEGEND = {
    "N": "batch size",
    "T": "sequence length",
    "D": "input size",
    "H": "hidden size",
    "O": "output size",
    "K": "number of classes",
}

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

_TERM = re.compile(r"^(\d*)([A-Z])$")


def _fmt(spec: Sequence[Any]) -> str:
    return "(" + ", ".join(str(s) for s in spec) + (",)" if len(spec) == 1 else ")")


class Shapes:
    """Checks arrays against symbolic shapes such as ``("N", "H")`` or ``("H", "H+D")``.

    A letter is bound by the first argument that carries it; each later argument must agree.
    A dimension may also be an integer or a sum of letters with integer multipliers
    (``"H+D"``, ``"4H"``), evaluated from letters already bound.
    """

    def __init__(self, **known: int) -> None:
        self.dims: dict[str, int] = dict(known)
        self.source: dict[str, str] = {k: "the caller" for k in known}

    def _value(self, sym: Any) -> int | None:
        if isinstance(sym, (int, np.integer)):
            return int(sym)
        total = 0
        for term in str(sym).split("+"):
            m = _TERM.match(term.strip())
            if m is None:
                raise AssertionError(f"bad shape symbol {sym!r}")
            mult, letter = m.groups()
            if letter not in self.dims:
                return None
            total += (int(mult) if mult else 1) * self.dims[letter]
        return total

    def expected(self, spec: Sequence[Any]) -> str:
        vals = [self._value(s) for s in spec]
        return _fmt(["?" if v is None else v for v in vals])

    def __call__(self, name: str, a: Any, spec: Sequence[Any], *, finite: bool = True) -> np.ndarray:
        """Check ``a`` (named ``name`` in messages) against ``spec``; return it unchanged."""
        check_float_array(name, a, finite=finite)
        if a.ndim != len(spec):
            raise ValueError(
                f"{name} must have shape {_fmt(spec)} = {self.expected(spec)} "
                f"({len(spec)} dimensions), but got shape {a.shape} ({a.ndim} dimensions)"
                + _dims_hint(spec)
            )
        for axis, (sym, n) in enumerate(zip(spec, a.shape)):
            want = self._value(sym)
            if want is None:
                # A single unbound letter: bind it here. Sums are only checked once bound.
                if isinstance(sym, str) and sym in LEGEND:
                    self.dims[sym] = n
                    self.source[sym] = name
                continue
            if n != want:
                why = _why(sym, self)
                raise ValueError(
                    f"{name} must have shape {_fmt(spec)} = {self.expected(spec)}, "
                    f"but got shape {a.shape}: axis {axis} should be {sym} = {want}{why}"
                    + _dims_hint(spec)
                )
        return a


def _why(sym: Any, shapes: Shapes) -> str:
    if not isinstance(sym, str):
        return ""
    parts = []
    for term in sym.split("+"):
        letter = term.strip()[-1]
        if letter in shapes.dims:
            parts.append(f"{letter} ({LEGEND.get(letter, letter)}) is {shapes.dims[letter]} "
                         f"from {shapes.source[letter]}")
    return " (" + "; ".join(parts) + ")" if parts else ""


def _dims_hint(spec: Sequence[Any]) -> str:
    letters = sorted({c for s in spec if isinstance(s, str) for c in s if c in LEGEND})
    return ". Legend: " + ", ".join(f"{c} = {LEGEND[c]}" for c in letters) if letters else ""


def check_float_array(name: str, a: Any, *, finite: bool = True) -> np.ndarray:
    """Raise ``TypeError`` unless ``a`` is a float32/float64 array; ``ValueError`` on NaN/inf."""
    if not isinstance(a, np.ndarray):
        raise TypeError(
            f"{name} must be a NumPy array of float32 or float64, but got {type(a).__name__}; "
            f"convert it with np.asarray({name}, dtype=np.float64)"
        )
    if a.dtype not in FLOAT_DTYPES:
        raise TypeError(
            f"{name} must have dtype float32 or float64, but got {a.dtype}; "
            f"convert it with {name}.astype(np.float64)"
        )
    if finite and a.size and not np.isfinite(a).all():
        bad = np.argwhere(~np.isfinite(a))[0]
        where = tuple(int(i) for i in bad)
        raise ValueError(
            f"{name} contains NaN or inf (first at index {where}, value {a[where]}); "
            "inputs and parameters must be finite. Check what produced them "
            "(a learning rate too high or a division by zero are the usual causes)"
        )
    return a


def check_keys(name: str, mapping: Any, expected: Sequence[str], *, aliases: Mapping[str, str] | None = None) -> None:
    """Raise ``TypeError``/``ValueError`` unless ``mapping`` has exactly the keys ``expected``."""
    if not isinstance(mapping, Mapping):
        raise TypeError(f"{name} must be a dict with keys {list(expected)}, but got {type(mapping).__name__}")
    missing = [k for k in expected if k not in mapping]
    extra = [k for k in mapping if k not in expected]
    if missing or extra:
        msg = f"{name} must have exactly the keys {list(expected)}"
        if missing:
            msg += f"; missing {missing}"
        if extra:
            msg += f"; unexpected {extra}"
            hints = [f"{k!r} -> {aliases[k]!r}" for k in extra if aliases and k in aliases]
            if hints:
                msg += " (did you mean " + ", ".join(hints) + "?)"
        raise ValueError(msg)
