"""Similarity between learners' graded cells (``--format similarity``): copies that stand out.

Fingerprints are copydetect's (winnowed k-grams of the code tokenized with pygments: names become
V and F, comments and formatting are dropped), so a copy with renamed variables, added comments
or reformatted lines still matches; reordered statements keep most of their k-grams. What every
correct solution shares is discounted as boilerplate: the released skeleton (signature,
docstring, argument checks) and the reference solution. For each exercise long enough to tell
(and for the whole submission) every pair of learners gets a score in 0..1, the share of their
remaining code found in the other's (the larger of the two shares); a pair is flagged when its
score stands out from the class's own distribution (above the median by 4 MADs, and at least
FLOOR). Separately, ``reference_matches`` lists submissions that match the reference solution
itself: a leaked answer key looks like that.

    similarity.json   {"pairs": [{"a", "b", "exercise" (None: the whole submission), "score",
                      "flagged", "shared_tokens"}, ...] (highest score first), "reference_matches":
                      [...], "threshold": {...}, "skipped": [...]}
    similarity.html   every flagged pair's code side by side, shared parts marked
"""
from __future__ import annotations

import functools
import hashlib
import html
import io
import itertools
import statistics
from dataclasses import dataclass

import numpy as np

from .. import course

K, WINDOW = 12, 4  # k-gram length and winnowing window (in filtered characters): graded cells are short
FLOOR = 0.5  # a pair is never flagged below this score, however quiet the class
MADS = 4.0
ALWAYS = 0.8  # ... and always flagged from this score on, however many pairs score like it
MIN_TOKENS = 60  # an exercise whose own code is shorter than this (after boilerplate) is compared only as part of the whole
REFERENCE_MATCH = 0.9


@dataclass
class Fingerprint:
    code: str
    fp: object  # copydetect.CodeFingerprint

    @property
    def size(self) -> int:
        return int(self.fp.token_coverage)


def _stable_hash(text: str) -> int:
    """A k-gram's hash that is the same in every process (Python's own hash() of a str is salted
    per process, which would make the winnowed fingerprints, and so the scores, vary between runs)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


def _fingerprint(code: str, boilerplate=()) -> Fingerprint:
    """copydetect's fingerprint of ``code`` without the ``boilerplate`` hashes. (The boilerplate is
    removed here, not by copydetect: its own removal indexes the winnowed hashes as if they were
    unique, and a repeated k-gram makes it fail.)"""
    import copydetect.utils
    from copydetect import CodeFingerprint
    from copydetect.utils import get_token_coverage

    copydetect.utils.hash = _stable_hash  # hashed_kgrams looks `hash` up in its module first
    fp = CodeFingerprint("cell.py", K, WINDOW, fp=io.StringIO(code), language="python")
    if boilerplate:
        drop = set(boilerplate)
        fp.hashes = fp.hashes - drop
        fp.hash_idx = {h: i for h, i in fp.hash_idx.items() if h not in drop}
        fp.token_coverage = get_token_coverage(fp.hash_idx, K, len(fp.filtered_code))
    return Fingerprint(code, fp)


@functools.lru_cache(maxsize=None)
def _boilerplate(name: str, with_reference: bool = True) -> tuple:
    """Fingerprints every solution shares: the released skeleton, and (``with_reference``) the reference."""
    from ..exercises import sync
    from ..exercises.transforms import ClearSolutions

    ref = sync.graded_source(course.get(name))
    skeleton = ClearSolutions().cell({"cell_type": "code", "source": ref})["source"]
    hashes = set(_fingerprint(skeleton).fp.hashes)
    if with_reference:
        hashes |= set(_fingerprint(ref).fp.hashes)
    return tuple(sorted(hashes))


def _compare(a: Fingerprint, b: Fingerprint):
    (s1, s2), overlap, slices = _compare_both(a, b)
    return max(s1, s2), overlap, slices


def report(sources: dict[str, dict[str, str]]) -> tuple[dict, str]:
    """``sources``: {learner: {exercise: graded-cell source}}. Returns (the JSON data, the HTML page)."""
    from ..exercises import sync

    learners = sorted(sources)
    pairs, skipped, matches = [], [], []
    prints: dict = {}
    whole: dict[tuple[str, str], list[float]] = {}  # (a, b) -> [shared_a, own_a, shared_b, own_b]
    ref_whole: dict[str, list[float]] = {}
    for e in course.EXERCISES:
        name = e.name
        fps = {lr: _fingerprint(sources[lr][name], _boilerplate(name)) for lr in learners if sources[lr].get(name, "").strip()}
        ref = _fingerprint(sync.graded_source(e), _boilerplate(name, with_reference=False))
        for lr in fps:  # a leaked answer key: the reference itself, with only the skeleton discounted
            mine = _fingerprint(sources[lr][name], _boilerplate(name, with_reference=False))
            score, _, _ = _compare(mine, ref)
            acc = ref_whole.setdefault(lr, [0.0, 0.0])
            acc[0] += score * ref.size
            acc[1] += ref.size
            if score >= REFERENCE_MATCH and ref.size >= MIN_TOKENS:
                matches.append({"learner": lr, "exercise": name, "score": round(score, 3)})
        scope = []
        for a, b in itertools.combinations(sorted(fps), 2):
            (sa, sb), overlap, slices = _compare_both(fps[a], fps[b])
            acc = whole.setdefault((a, b), [0.0, 0.0, 0.0, 0.0])
            acc[0] += sa * fps[a].size
            acc[1] += fps[a].size
            acc[2] += sb * fps[b].size
            acc[3] += fps[b].size
            if max(fps[a].size, fps[b].size) >= MIN_TOKENS:
                scope.append({"a": a, "b": b, "exercise": name, "score": round(max(sa, sb), 3), "shared_tokens": overlap})
                prints[(a, b, name)] = (fps[a], fps[b], slices)
        if not scope:
            skipped.append(name)
        pairs += _flag(scope)
    scope = []
    for (a, b), (sha, own_a, shb, own_b) in whole.items():
        if max(own_a, own_b) >= MIN_TOKENS:
            score = max(sha / own_a if own_a else 0.0, shb / own_b if own_b else 0.0)
            scope.append({"a": a, "b": b, "exercise": None, "score": round(score, 3), "shared_tokens": int(sha)})
    pairs += _flag(scope)
    for lr, (shared, size) in sorted(ref_whole.items()):
        if size and shared / size >= REFERENCE_MATCH:
            matches.append({"learner": lr, "exercise": None, "score": round(shared / size, 3)})
    pairs.sort(key=lambda p: (-p["score"], p["exercise"] or "", p["a"], p["b"]))
    data = {"pairs": pairs, "reference_matches": matches, "skipped": skipped,
            "threshold": {"floor": FLOOR, "always": ALWAYS, "mads_above_median": MADS, "k": K, "window": WINDOW,
                          "min_tokens": MIN_TOKENS, "reference_match": REFERENCE_MATCH}}
    return data, _html([p for p in pairs if p["flagged"] and p["exercise"]], prints, matches,
                       [p for p in pairs if p["flagged"] and not p["exercise"]])


def _compare_both(a: Fingerprint, b: Fingerprint):
    from copydetect import compare_files

    overlap, (s1, s2), slices = compare_files(a.fp, b.fp)
    return (float(s1), float(s2)), int(overlap), slices


def _flag(scope: list[dict]) -> list[dict]:
    """Mark the pairs whose score stands out from this scope's distribution (or is near-identical)."""
    scores = [p["score"] for p in scope]
    if scores:
        med = statistics.median(scores)
        mad = statistics.median([abs(x - med) for x in scores]) or 0.02
        cut = max(FLOOR, min(ALWAYS, med + MADS * mad))
        for p in scope:
            p["flagged"] = p["score"] >= cut
    return scope


def _html(shown: list[dict], prints: dict, matches: list[dict], whole: list[dict]) -> str:
    from copydetect.utils import highlight_overlap

    parts = ["<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Similarity report</title><style>",
             "body{font-family:sans-serif;margin:1.5em;color:#111}table{border-collapse:collapse;width:100%}",
             "td{vertical-align:top;width:50%;border:1px solid #888;padding:.4em}pre{white-space:pre-wrap;font-size:.85em}",
             "mark{background:#ffd54f;color:#000}h2{font-size:1.1em}</style></head><body>",
             "<h1>Similarity report</h1>",
             f"<p>{len(shown)} flagged pair(s). Code every correct solution shares (the released skeleton and the "
             "reference solution) is discounted; <mark>marked</mark> code is what the two share beyond it.</p>"]
    if whole:
        parts.append("<h2>Flagged whole submissions</h2><ul>")
        parts += [f"<li>{html.escape(p['a'])} and {html.escape(p['b'])}: {p['score']:.2f}</li>" for p in whole]
        parts.append("</ul>")
    if matches:
        parts.append("<h2>Code matching the reference solution</h2><ul>")
        by_learner: dict[str, list[str]] = {}
        for m in matches:
            by_learner.setdefault(m["learner"], []).append(m["exercise"] or "THE WHOLE SUBMISSION")
        for learner, names in sorted(by_learner.items(), key=lambda kv: ("THE WHOLE SUBMISSION" not in kv[1], kv[0])):
            parts.append(f"<li>{html.escape(learner)}: {html.escape(', '.join(sorted(names)))}</li>")
        parts.append("</ul>")
    for p in shown:
        fa, fb, (sa, sb) = prints[(p["a"], p["b"], p["exercise"])]
        left = highlight_overlap(fa.code, np.asarray(sa), "<mark>", "</mark>", escape_html=True)[0] if len(sa) else html.escape(fa.code)
        right = highlight_overlap(fb.code, np.asarray(sb), "<mark>", "</mark>", escape_html=True)[0] if len(sb) else html.escape(fb.code)
        parts.append(f"<h2>{html.escape(p['a'])} and {html.escape(p['b'])}: "
                     f"{html.escape(p['exercise'] or 'the whole submission')}, score {p['score']:.2f}</h2>")
        parts.append(f"<table><tr><th>{html.escape(p['a'])}</th><th>{html.escape(p['b'])}</th></tr>"
                     f"<tr><td><pre>{left}</pre></td><td><pre>{right}</pre></td></tr></table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
