"""Claims that rest on several training runs: one measurement over seeds, and how to quote it.

Training turns a last-bit difference between two CPUs into a different model, so no sentence of
the book rests on one run. Every experiment that trains is run under each of :data:`SEEDS` (more
where it is cheap), and the prose quotes what holds over all of them:

    runs = over_seeds(lambda s: train_something(seed=s))          # {seed: result}
    acc = Spread.of({s: r.accuracy for s, r in runs.items()})     # one number per seed
    acc.text(".1%")       -> "99.2 % (98.4–100.0 % over 3 seeds; worst seed 2)"
    acc.worst             -> 0.984 (the lowest, since higher is better by default)
    count(runs, lambda r: r.solved)  -> 3;  out_of(...) -> "3/3 seeds"

A claims test asserts the statement with a margin (e.g. ``acc.worst > 0.95`` where the page says
"above 95 % on every seed"), never the stored numbers of one run.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

#: The seeds every training claim is measured over, unless a chapter says otherwise (then more).
SEEDS: tuple[int, ...] = (0, 1, 2)

R = TypeVar("R")


def over_seeds(run: Callable[[int], R], seeds: tuple[int, ...] = SEEDS) -> dict[int, R]:
    """``{seed: run(seed)}`` for every seed, in order."""
    if not seeds:
        raise ValueError("over_seeds needs at least one seed, e.g. seeds=(0, 1, 2)")
    return {s: run(s) for s in seeds}


def count(runs: Mapping[int, R], holds: Callable[[R], bool]) -> int:
    """On how many seeds does ``holds(result)`` hold?"""
    return sum(bool(holds(r)) for r in runs.values())


def out_of(runs: Mapping[int, R], holds: Callable[[R], bool]) -> str:
    """``"k/n seeds"``: the prose's way of saying how often a statement held."""
    return f"{count(runs, holds)}/{len(runs)} seeds"


@dataclass(frozen=True)
class Spread:
    """One number measured under several seeds.

    ``higher_is_better`` says which end is the worst seed (accuracy: the lowest; error: the highest).
    """

    values: Mapping[int, float]
    higher_is_better: bool = True

    @classmethod
    def of(cls, values: Mapping[int, float], higher_is_better: bool = True) -> "Spread":
        if not values:
            raise ValueError("Spread.of needs one value per seed, got none")
        bad = {s: v for s, v in values.items() if not np.isfinite(v)}
        if bad:
            raise ValueError(f"non-finite values for seeds {sorted(bad)}: {bad}; a run diverged or was not measured")
        return cls({int(s): float(v) for s, v in values.items()}, higher_is_better)

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return float(np.mean(list(self.values.values())))

    @property
    def lo(self) -> float:
        return min(self.values.values())

    @property
    def hi(self) -> float:
        return max(self.values.values())

    @property
    def worst_seed(self) -> int:
        pick = min if self.higher_is_better else max
        return pick(self.values, key=lambda s: (self.values[s], s))

    @property
    def worst(self) -> float:
        return self.values[self.worst_seed]

    def text(self, fmt: str = ".3g", unit: str = "") -> str:
        """``"mean (lo–hi over n seeds; worst seed s)"``, each number formatted with ``fmt``.

        A percent format (``".1%"``) prints "99.2 %" with the unit once, after the range. When
        every seed gives the same number at this precision: ``"100.0 % on all 3 seeds"``.
        """
        def f(v: float) -> str:
            out = format(v, fmt)
            return out[:-1] if out.endswith("%") else out

        pct = " %" if fmt.endswith("%") else unit
        if self.n == 1:
            return f"{f(self.mean)}{pct} (one seed)"
        if f(self.lo) == f(self.hi):  # every seed gives the same number at this precision
            return f"{f(self.mean)}{pct} on all {self.n} seeds"
        return f"{f(self.mean)}{pct} ({f(self.lo)}–{f(self.hi)}{pct} over {self.n} seeds; worst seed {self.worst_seed})"

    def range_text(self, fmt: str = ".3g", unit: str = "") -> str:
        """``"lo–hi"`` with the unit: the shortest honest way to quote a measurement over seeds."""
        pct = " %" if fmt.endswith("%") else unit
        strip = (lambda s: s[:-1]) if fmt.endswith("%") else (lambda s: s)
        return f"{strip(format(self.lo, fmt))}–{strip(format(self.hi, fmt))}{pct}"
