"""Chapter 8b: language with LSTMs. A character-level model of Shakespeare, and negation.

(a) Character language model. A torch ``nn.LSTM`` reads Shakespeare one character at a
    time and predicts the next (the readout reads h_t). Measured by per-character
    perplexity on held-out text (the end of *Othello*, never trained on):

        PPL = exp( -1/K Σ_k log p(c_k | c_<k) )

    Baseline: character n-gram models with Witten-Bell interpolation, every order 1..6,
    counted on the same training text.

(b) Negation. Reviews from a small grammar (:func:`lstm_course.datasets.make_negation_reviews`)
    where every review has the same bag of sentiment words and only their order ("not good
    and dull" vs "good and not dull") decides the label. Baseline: logistic regression on word
    counts (a bag of words), which cannot see order.

Torch runs in :func:`~lstm_course.experiments.torch_session.torch_session` (one thread, fixed seed).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..datasets import load_shakespeare, make_negation_reviews
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
class CharLMResult:
    vocab: str
    n_train: int  # characters trained on
    n_test: int  # held-out characters
    lstm_ppl: float
    ngram_ppl: dict[int, float]  # order -> held-out perplexity
    loss_history: list[float]
    samples: dict[float, str]  # temperature -> generated text
    lstm_parameters: int  # trainable numbers in the LSTM model
    ngram_entries: dict[int, int]  # order -> (context, next character) counts the n-gram model stores

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
    *, hidden: int = 96, steps: int = 250, batch: int = 32, seq_len: int = 64, lr: float = 1e-2,
    orders: tuple[int, ...] = (1, 2, 3, 4, 5, 6), sample_len: int = 240,
    temperatures: tuple[float, ...] = (0.3, 0.7, 1.0), test_frac: float = 0.05, seed: int = 0,
) -> CharLMResult:
    """Train a character LSTM on Shakespeare and compare held-out perplexity with n-gram models.

    Args:
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
            lstm_ppl = math.exp(nll / count)

            samples = {}
            prompt = "HAMLET:\n"
            for tau in temperatures:
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
    return CharLMResult(vocab, len(train), len(test) - 1, lstm_ppl, ngram_ppl, history, samples, n_params, ngram_entries)


# ---------------------------------------------------------------------------------------------
# (b) negation
# ---------------------------------------------------------------------------------------------
@dataclass
class NegationResult:
    bow_accuracy: float
    lstm_accuracy: float
    n_train: int
    n_test: int
    examples: list[tuple[str, int, int, int]]  # (review, label, bag-of-words prediction, LSTM prediction)


def negation_sentiment(
    *, n_train: int = 1000, n_test: int = 1000, hidden: int = 24, epochs: int = 8, seed: int = 0
) -> NegationResult:
    """Bag-of-words logistic regression vs an LSTM on reviews whose label depends on word order.

    Both models see the same training reviews and are scored on fresh reviews from the same
    grammar (a different seed), so neither can memorize the test set.
    """
    train_x, train_y = make_negation_reviews(n_train, seed=seed)
    test_x, test_y = make_negation_reviews(n_test, seed=seed + 1)
    words = sorted({w for r in train_x + test_x for w in r})
    stoi = {w: k + 1 for k, w in enumerate(words)}  # 0 pads

    def encode(reviews):
        L = max(len(r) for r in reviews)
        ids = np.zeros((len(reviews), L), np.int64)
        for k, r in enumerate(reviews):
            ids[k, L - len(r):] = [stoi[w] for w in r]  # pad on the left, so h_T is read after the last word
        return ids

    def bag(ids):
        counts = np.zeros((len(ids), len(words) + 1), np.float32)
        for k, row in enumerate(ids):
            np.add.at(counts[k], row, 1.0)
        counts[:, 0] = 0.0
        return counts

    tr_ids, te_ids = encode(train_x), encode(test_x)
    with torch_session(seed) as torch:
        F = torch.nn.functional
        ytr = torch.from_numpy(train_y)

        bow = torch.nn.Linear(len(words) + 1, 2)
        opt = torch.optim.Adam(bow.parameters(), lr=0.05)
        xb = torch.from_numpy(bag(tr_ids))
        for _ in range(150):  # full-batch: logistic regression is convex, this converges
            loss = F.cross_entropy(bow(xb), ytr) + 1e-4 * bow.weight.pow(2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            bow_pred = bow(torch.from_numpy(bag(te_ids))).argmax(-1).numpy()

        class Reader(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = torch.nn.Embedding(len(words) + 1, 16, padding_idx=0)
                self.lstm = torch.nn.LSTM(16, hidden, batch_first=True)
                self.readout = torch.nn.Linear(hidden, 2)

            def forward(self, ids):
                _, (h_T, _) = self.lstm(self.embed(ids))
                return self.readout(h_T[-1])  # classify from the final hidden state

        model = Reader()
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        rng = np.random.default_rng(seed)
        xtr = torch.from_numpy(tr_ids)
        for _ in range(epochs):
            for chunk in np.array_split(rng.permutation(n_train), n_train // 64):
                idx = torch.from_numpy(chunk)
                loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
        with torch.no_grad():
            lstm_pred = model(torch.from_numpy(te_ids)).argmax(-1).numpy()
    examples = [(" ".join(test_x[k]), int(test_y[k]), int(bow_pred[k]), int(lstm_pred[k])) for k in range(6)]
    return NegationResult(
        bow_accuracy=float(np.mean(bow_pred == test_y)), lstm_accuracy=float(np.mean(lstm_pred == test_y)),
        n_train=n_train, n_test=n_test, examples=examples,
    )
