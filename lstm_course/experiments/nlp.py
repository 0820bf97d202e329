"""Chapter 8b: language with LSTMs. A character-level model of Shakespeare, and negation.

(a) Character language model. A torch ``nn.LSTM`` reads Shakespeare one character at a
    time and predicts the next (the readout reads h_t). Measured by per-character
    perplexity on held-out text (the end of *Othello*, never trained on):

        PPL = exp( -1/K Σ_k log p(c_k | c_<k) )

    Baseline: character n-gram models with Witten-Bell interpolation, every order 1..6,
    counted on the same training text.

(b) Negation. Reviews from a small grammar (:func:`lstm_course.datasets.make_negation_reviews`)
    where every review has the same bag of sentiment words and only their order ("not good
    and dull" vs "good and not dull") decides the label. Baselines: logistic regression on word
    counts (a bag of words), which cannot see order, and on word counts plus word-pair counts
    (bigrams), which sees "not good" but not "not very good". Then the LSTM's cell state is
    searched for the unit that carries "a not is pending", and that flag is erased to see whether
    the answer depends on it.

Every training claim is measured over several seeds (``seeds`` / :data:`NEGATION_SEEDS`).

Torch runs in :func:`~lstm_course.experiments.torch_session.torch_session` (one thread, fixed seed).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..datasets import load_shakespeare, make_negation_reviews
from .healthcare import auroc
from .seeds import SEEDS, over_seeds
from .torch_session import torch_session


# ---------------------------------------------------------------------------------------------
# (a) character language model
# ---------------------------------------------------------------------------------------------
class NGramModel:
    """Character n-gram model with Witten-Bell interpolation (Witten & Bell, 1991).

        P(c | h) = (C(h c) + N₁₊(h·) · P(c | h')) / (C(h) + N₁₊(h·))

    h is the last n-1 characters, h' is h without its oldest character, C counts occurrences in
    the training text, N₁₊(h·) is the number of distinct characters seen after h; the recursion
    starts from the uniform distribution 1/V. A context never seen keeps the shorter estimate.

    Counting and scoring are vectorized: each context of length n is one integer in base V,
    and counts are looked up with ``np.searchsorted`` in sorted tables.
    """

    def __init__(self, text: str, order: int, vocab: str) -> None:
        if order < 1:
            raise ValueError(f"order must be >= 1, got {order}")
        V = len(vocab)
        self.stoi = {c: k for k, c in enumerate(vocab)}
        self.order, self.V = order, V
        ids = self._encode(text)
        # tables[n] for context length n: sorted (context, next) keys with their counts, and
        # sorted contexts with C(h) and N₁₊(h·).
        self.tables = []
        for n in range(order):
            ctx = self._contexts(ids, n)
            keys, counts = np.unique(ctx * V + ids[n:], return_counts=True)
            hs, first = np.unique(keys // V, return_index=True)
            totals = np.add.reduceat(counts, first)
            distinct = np.diff(np.append(first, len(keys)))
            self.tables.append((keys, counts, hs, totals, distinct))

    def _encode(self, text: str) -> np.ndarray:
        unknown = set(text) - set(self.stoi)
        if unknown:
            raise ValueError(f"characters {sorted(unknown)} are not in the model's vocabulary")
        return np.array([self.stoi[c] for c in text], dtype=np.int64)

    def _contexts(self, ids: np.ndarray, n: int) -> np.ndarray:
        """Integer code of the n characters before each position n..len-1."""
        ctx = np.zeros(len(ids) - n, np.int64)
        for j in range(n):
            ctx = ctx * self.V + ids[j:len(ids) - n + j]
        return ctx

    @staticmethod
    def _lookup(sorted_keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
        pos = np.clip(np.searchsorted(sorted_keys, query), 0, len(sorted_keys) - 1)
        return np.where(sorted_keys[pos] == query, values[pos], 0)

    def perplexity(self, text: str, order: int | None = None) -> float:
        """Per-character perplexity exp(-mean log P(c_k | h_k)) of ``text``, from its ``order``-th character on.

        ``order`` below the counted one reuses the same tables.
        """
        order = self.order if order is None else order
        if not 1 <= order <= self.order:
            raise ValueError(f"order must be in 1..{self.order}, got {order}")
        ids = self._encode(text)
        k0 = order - 1
        target = ids[k0:]
        p = np.full(len(target), 1.0 / self.V)
        for n in range(order):
            keys, counts, hs, totals, distinct = self.tables[n]
            ctx = self._contexts(ids[k0 - n:], n)
            seen = self._lookup(hs, totals, ctx)
            d = self._lookup(hs, distinct, ctx)
            c = self._lookup(keys, counts, ctx * self.V + target)
            p = np.where(seen > 0, (c + d * p) / np.maximum(seen + d, 1), p)
        return float(np.exp(-np.mean(np.log(p))))


@dataclass
class CharLSTMRun:
    """One seed's character LSTM."""

    ppl: float  # held-out perplexity
    loss_history: list[float]  # training loss per step
    samples: dict[float, str]  # temperature -> generated text (only for the first seed; empty otherwise)


@dataclass
class CharLMResult:
    vocab: str
    n_train: int  # characters trained on
    n_test: int  # held-out characters
    ngram_ppl: dict[int, float]  # order -> held-out perplexity (counting: the same for every seed)
    ngram_entries: dict[int, int]  # order -> (context, next character) counts the n-gram model stores
    lstm: dict[int, CharLSTMRun]  # seed -> its LSTM
    lstm_parameters: int  # trainable numbers in one LSTM model
    steps: int  # Adam steps per LSTM
    chars_seen: int  # characters one LSTM reads in training (steps x batch x seq_len)

    @property
    def best_ngram(self) -> tuple[int, float]:
        order = min(self.ngram_ppl, key=self.ngram_ppl.get)
        return order, self.ngram_ppl[order]


def _build_char_lstm(torch, V: int, hidden: int):
    class CharLSTM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(V, 48)
            self.lstm = torch.nn.LSTM(48, hidden, batch_first=True)
            self.readout = torch.nn.Linear(hidden, V)  # reads h_t, never C_t

        def forward(self, idx, state=None):
            h, state = self.lstm(self.embed(idx), state)
            return self.readout(h), state

    return CharLSTM()


def char_language_model(
    *, seeds: tuple[int, ...] = SEEDS, hidden: int = 96, steps: int = 150, batch: int = 32, seq_len: int = 64,
    lr: float = 2e-2, orders: tuple[int, ...] = (1, 2, 3, 4, 5, 6), sample_len: int = 240,
    temperatures: tuple[float, ...] = (0.3, 0.7, 1.0), test_frac: float = 0.05,
) -> CharLMResult:
    """Count n-gram models once, train a character LSTM under every seed; compare held-out perplexity.

    Args:
        seeds: one LSTM per seed (initialization and the training windows); the first also samples.
        hidden: H of the LSTM.
        steps: Adam steps on random (batch, seq_len) windows of the training text.
        test_frac: the final fraction of the text, held out (never trained on, never counted).
        orders: n-gram orders of the baseline.
        temperatures: sampling temperatures τ (p ∝ exp(logits/τ)) for the samples shown.
    """
    text = load_shakespeare()
    vocab = "".join(sorted(set(text)))
    split = int(len(text) * (1 - test_frac))
    train, test = text[:split], text[split:]
    counts = NGramModel(train, max(orders), vocab)  # lower orders read the same tables
    ngram_ppl = {n: counts.perplexity(test, n) for n in orders}
    ngram_entries = {n: sum(len(t[0]) for t in counts.tables[:n]) for n in orders}

    stoi = {c: k for k, c in enumerate(vocab)}
    data = np.array([stoi[c] for c in text], dtype=np.int64)
    runs, n_params = {}, 0
    for seed in seeds:
        with torch_session(seed) as torch:
            model = _build_char_lstm(torch, len(vocab), hidden)
            opt = torch.optim.Adam(model.parameters(), lr=lr)
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
            rng = np.random.default_rng(seed)
            train_ids = torch.from_numpy(data[:split])
            history = []
            for _ in range(steps):
                starts = torch.from_numpy(rng.integers(0, split - seq_len - 1, size=batch))
                idx = starts[:, None] + torch.arange(seq_len + 1)
                chunk = train_ids[idx]
                logits, _ = model(chunk[:, :-1])
                loss = torch.nn.functional.cross_entropy(logits.reshape(-1, len(vocab)), chunk[:, 1:].reshape(-1))
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                sched.step()
                history.append(loss.item())

            model.eval()
            with torch.no_grad():
                # Held-out text read in one pass, carrying (h, C) across chunks: every prediction sees all text before it.
                test_ids = torch.from_numpy(data[split - 1:])[None]
                nll, state, count = 0.0, None, 0
                for s in range(0, test_ids.shape[1] - 1, 2000):
                    inp, tgt = test_ids[:, s:s + 2000], test_ids[:, s + 1:s + 2001]
                    inp = inp[:, :tgt.shape[1]]
                    logits, state = model(inp, state)
                    nll += float(torch.nn.functional.cross_entropy(logits[0], tgt[0], reduction="sum"))
                    count += tgt.shape[1]

                samples = {}
                prompt = "HAMLET:\n"
                for tau in temperatures if seed == seeds[0] else ():
                    gen = torch.Generator().manual_seed(seed)
                    logits, state = model(torch.tensor([[stoi[c] for c in prompt]]))
                    out = []
                    for _ in range(sample_len):
                        probs = torch.softmax(logits[0, -1] / tau, dim=-1)
                        nxt = int(torch.multinomial(probs, 1, generator=gen))
                        out.append(vocab[nxt])
                        logits, state = model(torch.tensor([[nxt]]), state)
                    samples[tau] = prompt + "".join(out)
            n_params = sum(p.numel() for p in model.parameters())
        runs[seed] = CharLSTMRun(math.exp(nll / count), history, samples)
    return CharLMResult(vocab, len(train), len(test) - 1, ngram_ppl, ngram_entries, runs, n_params, steps,
                        steps * batch * seq_len)


# ---------------------------------------------------------------------------------------------
# (b) negation
# ---------------------------------------------------------------------------------------------
#: Seeds of the negation experiment: a seed takes about a second, so five.
NEGATION_SEEDS: tuple[int, ...] = SEEDS + (3, 4)

#: How many of the flag-carrying units the erasure test clamps (the LSTM has ``hidden`` = 24).
ERASED_UNITS: tuple[int, ...] = (1, 2, 4, 8, 12)


def pending_negation(review: list[str]) -> np.ndarray:
    """(len(review),) True at the words after which a "not" is pending: "not" and any intensifier
    between it and its adjective ("not very good": True, True, False)."""
    pending = np.zeros(len(review), bool)
    j = review.index("not")
    pending[j] = True
    while review[j + 1] in ("very", "really"):
        j += 1
        pending[j] = True
    return pending


def bag_of_words(reviews: list[list[str]], features: dict) -> np.ndarray:
    """Counts of the words (keys ``str``) and word pairs (keys ``(str, str)``) in ``features``: (N, F) float32.

    Pairs never seen in training have no column, so they are ignored, as a fitted model would.
    """
    out = np.zeros((len(reviews), len(features)), np.float32)
    for k, r in enumerate(reviews):
        for key in r + list(zip(r[:-1], r[1:])):
            j = features.get(key)
            if j is not None:
                out[k, j] += 1.0
    return out


@dataclass
class NegationResult:
    """One seed of the negation experiment, scored on 1,000 fresh reviews."""

    accuracy: dict[str, float]  # model -> accuracy on all test reviews
    accuracy_split: dict[str, dict[str, float]]  # model -> {"adjacent": "not good" reviews, "intensifier": "not very good"}
    n_train: int
    n_test: int
    examples: list[tuple[str, int, dict[str, int]]]  # (review, label, {model: prediction})
    flag_unit: int  # the unit of C_t that best separates "not pending" at an intensifier
    flag_auroc: float  # how well that unit alone separates pending from not pending (1 = perfectly)
    flag_sign: float  # +1 if the unit is higher while a "not" is pending, else -1
    flag_traces: dict[str, np.ndarray]  # review text -> that unit's C_t after each word, (len(review),)
    erased: dict[int, float]  # k -> accuracy on "not + intensifier" reviews with the k best flag units erased
    erased_random: float  # the same with 8 other units, chosen at random, erased instead (the control)
    hidden: int  # H, the LSTM's number of units

    @property
    def bow_accuracy(self) -> float:
        return self.accuracy["bag of words"]

    @property
    def lstm_accuracy(self) -> float:
        return self.accuracy["LSTM"]


#: The two reviews whose flag-unit C_t the page plots.
TRACE_REVIEWS = ("the film was not very good and dull", "the film was very good and not really dull")


def negation_sentiment(
    *, n_train: int = 1000, n_test: int = 1000, hidden: int = 24, epochs: int = 8, seed: int = 0
) -> NegationResult:
    """Bag of words, bag of words + bigrams, and an LSTM on reviews whose label depends on word order.

    All models see the same training reviews and are scored on fresh reviews from the same
    grammar (another seed), so none can memorize the test set. The LSTM's states are then read
    after every word to find the unit of C_t that carries "a not is pending", and that flag is
    erased (C_t and h_t of the k most flag-like units clamped to their value at an intensifier
    with no "not" pending) to see whether the LSTM's answer depends on it.
    """
    train_x, train_y = make_negation_reviews(n_train, seed=seed)
    test_x, test_y = make_negation_reviews(n_test, seed=seed + 1000)
    words = sorted({w for r in train_x + test_x for w in r})
    stoi = {w: k + 1 for k, w in enumerate(words)}  # 0 pads
    L = max(len(r) for r in train_x + test_x + [t.split() for t in TRACE_REVIEWS])

    def encode(reviews):
        ids = np.zeros((len(reviews), L), np.int64)
        for k, r in enumerate(reviews):
            ids[k, L - len(r):] = [stoi[w] for w in r]  # pad on the left, so h_T is read after the last word
        return ids

    unigrams = {w: k for k, w in enumerate(words)}
    pairs = sorted({p for r in train_x for p in zip(r[:-1], r[1:])})  # bigrams seen in training
    with_pairs = {**unigrams, **{p: len(words) + k for k, p in enumerate(pairs)}}
    tr_ids, te_ids = encode(train_x), encode(test_x)
    # Where a "not" is pending, and the reviews where an intensifier sits between "not" and its adjective.
    pending = np.zeros(te_ids.shape, bool)
    intensifier = np.zeros(te_ids.shape, bool)
    for k, r in enumerate(test_x):
        pending[k, L - len(r):] = pending_negation(r)
        intensifier[k, L - len(r):] = [w in ("very", "really") for w in r]
    split = {"adjacent": pending.sum(1) == 1, "intensifier": pending.sum(1) > 1}

    predictions = {}
    with torch_session(seed) as torch:
        F = torch.nn.functional
        ytr = torch.from_numpy(train_y)
        for name, features in (("bag of words", unigrams), ("bag of words + bigrams", with_pairs)):
            linear = torch.nn.Linear(len(features), 2)
            opt = torch.optim.Adam(linear.parameters(), lr=0.05)
            xb = torch.from_numpy(bag_of_words(train_x, features))
            for _ in range(300):  # full batch: logistic regression is convex, this converges
                loss = F.cross_entropy(linear(xb), ytr) + 1e-4 * linear.weight.pow(2).sum()
                opt.zero_grad()
                loss.backward()
                opt.step()
            with torch.no_grad():
                predictions[name] = linear(torch.from_numpy(bag_of_words(test_x, features))).argmax(-1).numpy()

        embed = torch.nn.Embedding(len(words) + 1, 16, padding_idx=0)
        lstm = torch.nn.LSTM(16, hidden, batch_first=True)
        readout = torch.nn.Linear(hidden, 2)
        params = [*embed.parameters(), *lstm.parameters(), *readout.parameters()]
        opt = torch.optim.Adam(params, lr=1e-2)
        rng = np.random.default_rng(seed)
        xtr = torch.from_numpy(tr_ids)
        for _ in range(epochs):
            for chunk in np.array_split(rng.permutation(n_train), n_train // 64):
                idx = torch.from_numpy(chunk)
                _, (h_T, _) = lstm(embed(xtr[idx]))
                loss = F.cross_entropy(readout(h_T[-1]), ytr[idx])  # classify from the final hidden state
                opt.zero_grad()
                loss.backward()
                opt.step()

        def read(ids, clamp=None):
            """Step the LSTM word by word: (C_t, h_t) after each word, (N, L, H) each, and the predictions.

            ``clamp = (units, c_value, h_value)`` overwrites those units of C_t and h_t wherever a
            "not" is pending (only for the test reviews)."""
            e = embed(torch.from_numpy(ids))
            h = torch.zeros(1, len(ids), hidden)
            c = torch.zeros(1, len(ids), hidden)
            cs, hs = [], []
            for t in range(ids.shape[1]):
                _, (h, c) = lstm(e[:, t:t + 1], (h, c))
                if clamp is not None:
                    units, c_value, h_value = clamp
                    rows = torch.from_numpy(np.flatnonzero(pending[:, t]))
                    for u in units:
                        c[0, rows, u] = c_value[u]
                        h[0, rows, u] = h_value[u]
                cs.append(c[0])
                hs.append(h[0])
            return torch.stack(cs, 1).numpy(), torch.stack(hs, 1).numpy(), readout(h[-1]).argmax(-1).numpy()

        with torch.no_grad():
            C, Hs, predictions["LSTM"] = read(te_ids)
            # The flag unit: at "very"/"really", compare C_t where a "not" is pending with where none is.
            on, off = C[pending & intensifier], C[~pending & intensifier]  # (n_on, H), (n_off, H)
            d = (on.mean(0) - off.mean(0)) / np.sqrt(0.5 * (on.var(0) + off.var(0)) + 1e-12)
            order = np.argsort(-np.abs(d))
            unit = int(order[0])
            sign = float(np.sign(d[unit]))
            labels = np.r_[np.ones(len(on)), np.zeros(len(off))]
            flag_auroc = auroc(sign * np.r_[on[:, unit], off[:, unit]], labels)
            traces = {t: read(encode([t.split()]))[0][0, L - len(t.split()):, unit] for t in TRACE_REVIEWS}
            c_off = torch.from_numpy(off.mean(0))
            h_off = torch.from_numpy(Hs[~pending & intensifier].mean(0))
            hit = split["intensifier"]
            erased = {k: float(np.mean(read(te_ids, (order[:k], c_off, h_off))[2][hit] == test_y[hit]))
                      for k in ERASED_UNITS}
            others = np.random.default_rng(seed).permutation(order[8:])[:8]
            erased_random = float(np.mean(read(te_ids, (others, c_off, h_off))[2][hit] == test_y[hit]))

    acc = {m: float(np.mean(p == test_y)) for m, p in predictions.items()}
    acc_split = {m: {s: float(np.mean(p[mask] == test_y[mask])) for s, mask in split.items()}
                 for m, p in predictions.items()}
    examples = [(" ".join(test_x[k]), int(test_y[k]), {m: int(p[k]) for m, p in predictions.items()}) for k in range(6)]
    return NegationResult(acc, acc_split, n_train, n_test, examples, unit, flag_auroc, sign, traces, erased,
                          erased_random, hidden)


def negation_over_seeds(seeds: tuple[int, ...] = NEGATION_SEEDS, **kwargs) -> dict[int, NegationResult]:
    """:func:`negation_sentiment` under every seed (new reviews and new models for each)."""
    return over_seeds(lambda s: negation_sentiment(seed=s, **kwargs), seeds)
