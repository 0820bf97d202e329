"""Small synthetic tasks that each isolate one thing an LSTM's gates must do.

Every generator takes a ``seed`` and returns plain NumPy arrays in the package's time-major
layout, so the book's chapters, their tests and the exercises draw the very same data.

    agreement   "the cat , which chased the dogs ," -> sits / sit: remember the subject's
                number across a relative clause whose own nouns may have either number (forget gate)
    store       keep the value shown with a "write" flag, ignore every other value (input gate)
    recall      hold a value in silence and say it only when asked (output gate)

Shape legend: T time, N batch (sentences or sequences), D input size, V vocabulary size.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

# ---------------------------------------------------------------------------------------------
# Agreement: the article's "The cat, which was hungry, sat on the mat"
# ---------------------------------------------------------------------------------------------

SINGULAR, PLURAL = 0, 1
VERB = {SINGULAR: "sits", PLURAL: "sit"}
NOUNS = {SINGULAR: ("cat", "dog", "bird"), PLURAL: ("cats", "dogs", "birds")}
# The clause's own verbs and adjectives carry no number ("looked", not "was"/"were"), so the
# only evidence for the main verb's number is the subject, several tokens back.
CLAUSE_VERBS = ("chased", "saw", "liked")
ADJECTIVES = ("hungry", "tired", "happy")
AGREEMENT_VOCAB: tuple[str, ...] = (
    "the", ",", "which", "that", "looked", "very", "near",
    *NOUNS[SINGULAR], *NOUNS[PLURAL], *CLAUSE_VERBS, *ADJECTIVES,
)
TOKEN_ID = {w: k for k, w in enumerate(AGREEMENT_VOCAB)}


@dataclass(frozen=True)
class AgreementData:
    """Sentences (each a list of tokens, up to the verb), their verb number and clause flag.

    ``labels[n]`` is 0 for a singular subject (verb "sits"), 1 for plural ("sit").
    ``has_clause[n]`` says whether a relative clause separates subject and verb.
    """

    sentences: tuple[tuple[str, ...], ...]
    labels: np.ndarray  # (N,) int
    has_clause: np.ndarray  # (N,) bool

    def __len__(self) -> int:
        return len(self.sentences)

    def batches(self, batch_size: int = 32, seed: int = 0) -> Callable[[int], Iterator[tuple[np.ndarray, np.ndarray]]]:
        """A ``batches(epoch)`` function for :func:`lstm_course.fit`.

        Sentences differ in length and the model reads h_T, so each batch holds sentences of
        one length only (no padding to leak into the memory); batches are shuffled per epoch.
        """
        if not (isinstance(batch_size, int) and batch_size >= 1):
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        groups = [idx for idx, _ in self._groups()]

        def batches(epoch: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
            rng = np.random.default_rng([seed, epoch])
            chunks = []
            for idx in groups:
                idx = rng.permutation(idx)
                chunks += [idx[k:k + batch_size] for k in range(0, len(idx), batch_size)]
            for j in rng.permutation(len(chunks)):
                idx = chunks[j]
                yield encode_tokens([self.sentences[n] for n in idx]), self.labels[idx]

        return batches

    def by_length(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Indices and one-hot inputs (T, n, V) of every group of sentences of equal length."""
        for idx, _ in self._groups():
            yield idx, encode_tokens([self.sentences[n] for n in idx])

    def _groups(self) -> list[tuple[np.ndarray, int]]:
        """(indices, length) of the sentences of each length, shortest first."""
        by_len: dict[int, list[int]] = defaultdict(list)
        for n, s in enumerate(self.sentences):
            by_len[len(s)].append(n)
        return [(np.array(v), T) for T, v in sorted(by_len.items())]


def _noun(rng: np.random.Generator) -> str:
    return str(rng.choice(NOUNS[int(rng.integers(0, 2))]))


def _relative_clause(rng: np.random.Generator, max_extra: int) -> list[str]:
    """``which chased the dogs near the bird`` or ``that looked very hungry near the cats``.

    Each noun inside draws its number at random, independently of the subject. Half of them
    are "attractors" (the other number) that mislead a reader who goes by the latest noun, and
    together they carry no information about the subject: if they were always of the other
    number, "flip the last noun" would solve the task without any memory.
    """
    clause = [str(rng.choice(("which", "that")))]
    if rng.random() < 0.5:
        clause += [str(rng.choice(CLAUSE_VERBS)), "the", _noun(rng)]
    else:
        clause += ["looked"] + (["very"] if rng.random() < 0.3 else []) + [str(rng.choice(ADJECTIVES))]
    for _ in range(int(rng.integers(0, max_extra + 1))):
        clause += ["near", "the", _noun(rng)]
    return clause


def make_agreement(n: int, *, seed: int = 0, p_clause: float = 0.75, max_extra: int = 2) -> AgreementData:
    """Sample ``n`` sentences from a tiny grammar, up to (not including) the verb.

        S      -> the NOUN_s [ , CLAUSE , ]        then the verb: sits (s = singular) / sit (plural)
        CLAUSE -> which|that (VERB the NOUN | looked [very] ADJ) (near the NOUN){0..max_extra}

    where the subject's number s is a fair coin and every NOUN in the clause has a number of
    its own (a fair coin too). A sentence has a clause with probability ``p_clause``.

    Args:
        n: number of sentences.
        seed: random seed.
        p_clause: probability of a relative clause.
        max_extra: at most this many "near the NOUN" phrases lengthen a clause.
    Returns:
        :class:`AgreementData`; sentences are 2 to 8 + 3·max_extra tokens long.
    """
    if n < 1 or not 0 <= p_clause <= 1 or max_extra < 0:
        raise ValueError(f"need n >= 1, 0 <= p_clause <= 1, max_extra >= 0; got n={n}, p_clause={p_clause}, max_extra={max_extra}")
    rng = np.random.default_rng(seed)
    sentences, labels, clauses = [], [], []
    for _ in range(n):
        number = int(rng.integers(0, 2))
        words = ["the", str(rng.choice(NOUNS[number]))]
        clause = bool(rng.random() < p_clause)
        if clause:
            words += [","] + _relative_clause(rng, max_extra) + [","]
        sentences.append(tuple(words))
        labels.append(number)
        clauses.append(clause)
    return AgreementData(tuple(sentences), np.array(labels), np.array(clauses))


def encode_tokens(sentences: list[str | tuple[str, ...]] | tuple[str, ...] | str) -> np.ndarray:
    """One-hot inputs (T, N, V) for N sentences of equal length T.

    A sentence is a string of space-separated tokens (``"the cat , which saw the dogs ,"``) or a
    tuple of tokens; one sentence gives N = 1, and a *list* of them is a batch.
    """
    if isinstance(sentences, (str, tuple)):
        sentences = [sentences]
    sentences = [s.split() if isinstance(s, str) else list(s) for s in sentences]
    lengths = {len(s) for s in sentences}
    if len(lengths) != 1:
        raise ValueError(f"sentences in one batch must have equal length, got lengths {sorted(lengths)}")
    unknown = sorted({w for s in sentences for w in s if w not in TOKEN_ID})
    if unknown:
        raise ValueError(f"unknown tokens {unknown}; the vocabulary is {list(AGREEMENT_VOCAB)}")
    T, N = lengths.pop(), len(sentences)
    x = np.zeros((T, N, len(AGREEMENT_VOCAB)))
    for n, s in enumerate(sentences):
        x[np.arange(T), n, [TOKEN_ID[w] for w in s]] = 1.0
    return x


def last_noun_number(sentence: tuple[str, ...]) -> int:
    """The number of the most recent noun: the shortcut a model without memory would take."""
    for w in reversed(sentence):
        for number, nouns in NOUNS.items():
            if w in nouns:
                return number
    raise ValueError(f"no noun in {sentence}")


# ---------------------------------------------------------------------------------------------
# Store: write on a flag, keep otherwise
# ---------------------------------------------------------------------------------------------

def make_store(n: int, T: int = 12, *, seed: int = 0, max_writes: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Sequences of random values with 1..``max_writes`` "write" flags; the target is the last value written.

    x[t, :, 0] = a value in [-1, 1] shown at every step; x[t, :, 1] = 1 on a write step, else 0.
    The first write comes in the first half, so there is always something to keep for a while.

    Returns:
        x: (T, n, 2) inputs; y: (n, 1) the value at the last write step (for ``readout="last"``).
    """
    if T < 2 or n < 1 or max_writes < 1:
        raise ValueError(f"need T >= 2, n >= 1, max_writes >= 1; got T={T}, n={n}, max_writes={max_writes}")
    rng = np.random.default_rng(seed)
    x = np.zeros((T, n, 2))
    x[:, :, 0] = rng.uniform(-1, 1, size=(T, n))
    y = np.zeros((n, 1))
    for k in range(n):
        first = int(rng.integers(0, T // 2))
        later = rng.choice(np.arange(first + 1, T), size=int(rng.integers(0, max_writes)), replace=False)
        steps = np.concatenate([[first], later]).astype(int)
        x[steps, k, 1] = 1.0
        y[k, 0] = x[steps.max(), k, 0]
    return x, y


# ---------------------------------------------------------------------------------------------
# Recall: hold a value silently until a query
# ---------------------------------------------------------------------------------------------

def make_recall(n: int, T: int = 12, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A value at step 1, noise after it, and a "query" flag at the last step.

    x[0, :, 0] = the value v ∈ {-1, +1}·U(0.5, 1); x[t>0, :, 0] small noise; x[T-1, :, 1] = 1.
    The target (for ``readout="all"``) is 0 at every step but the last, where it is v: the
    model must *keep* v for T-1 steps without *showing* it, the output gate's job.

    Returns:
        x: (T, n, 2) inputs; y: (T, n, 1) targets.
    """
    if T < 2 or n < 1:
        raise ValueError(f"need T >= 2 and n >= 1, got T={T}, n={n}")
    rng = np.random.default_rng(seed)
    v = rng.choice([-1.0, 1.0], size=n) * rng.uniform(0.5, 1.0, size=n)
    x = np.zeros((T, n, 2))
    x[0, :, 0] = v
    x[1:, :, 0] = 0.1 * rng.standard_normal((T - 1, n))
    x[T - 1, :, 1] = 1.0
    y = np.zeros((T, n, 1))
    y[T - 1, :, 0] = v
    return x, y
