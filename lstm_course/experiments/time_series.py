"""Chapter 8a: forecasting yearly sunspot numbers with the package's own NumPy LSTM.

The model reads the series one year at a time and predicts the next year from h_t
(``readout="all"``). It is trained only on the years before ``test_start``; on the held-out
years each forecast still uses only the years before it (one step ahead), exactly like the
baselines beside it:

    persistence      ŷ_{t+1} = y_t
    seasonal naive   ŷ_{t+1} = y_{t+1-11}          (the ~11-year solar cycle)
    linear AR(p)     ŷ_{t+1} = a_0 + Σ_k a_k y_{t+1-k}, fitted by least squares on the training years

Values are modelled as sqrt(sunspots), standardized with the training years' mean and std
(the square root tames the peaks; a common choice for counts).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..datasets import load_sunspots
from ..model import fit, init_model, predict
from ..optim import Adam
from .seeds import SEEDS, over_seeds


@dataclass
class ForecastResult:
    """Everything the chapter shows. Arrays cover the held-out years only, in sunspot units."""

    years: np.ndarray  # (K,) held-out years
    actual: np.ndarray  # (K,)
    forecasts: dict[str, np.ndarray]  # method -> (K,) one-step-ahead forecasts
    rmse: dict[str, float]
    mae: dict[str, float]
    loss_history: list[float] = field(default_factory=list)
    recursive: np.ndarray | None = None  # (horizon,) LSTM forecast fed its own outputs
    recursive_ar: np.ndarray | None = None  # (horizon,) AR forecast fed its own outputs


def ar_fit(y: np.ndarray, p: int) -> np.ndarray:
    """Least-squares AR(p) coefficients [a_0, a_1..a_p] for ŷ_t = a_0 + Σ_k a_k y_{t-k}."""
    X = np.column_stack([np.ones(len(y) - p)] + [y[p - k:len(y) - k] for k in range(1, p + 1)])
    coef, *_ = np.linalg.lstsq(X, y[p:], rcond=None)
    return coef


def ar_predict_next(history: np.ndarray, coef: np.ndarray) -> float:
    """One-step forecast from the last p values of ``history``."""
    p = len(coef) - 1
    return float(coef[0] + coef[1:] @ history[-1:-p - 1:-1])


def _windows(z: np.ndarray, length: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Overlapping (input, next-value) windows, time-major: x, y of shape (length, N, 1)."""
    starts = np.arange(0, len(z) - length - 1, stride)
    x = np.stack([z[s:s + length] for s in starts], axis=1)[:, :, None]
    y = np.stack([z[s + 1:s + length + 1] for s in starts], axis=1)[:, :, None]
    return x, y


def sunspot_forecast(
    *, test_start: int = 1969, hidden: int = 32, epochs: int = 40, window: int = 44, ar_order: int = 9,
    horizon: int = 11, seed: int = 0,
) -> ForecastResult:
    """Train the NumPy LSTM on sunspots before ``test_start``; score one-step forecasts after it.

    Args:
        test_start: first held-out year (1969 leaves 40 years: almost four solar cycles).
        hidden: H, the LSTM's hidden size.
        epochs: full passes over the training windows (Adam, lr 1e-2, global-norm clipping 1.0).
        window: T, length of each training window in years (four cycles of context).
        ar_order: p of the linear AR baseline.
        horizon: years of the recursive forecast from ``test_start`` (the forecast plot's horizon).
        seed: seeds the LSTM initialization and the batch order.
    Returns:
        :class:`ForecastResult`.
    """
    years, spots = load_sunspots()
    n_train = int(np.searchsorted(years, test_start))
    if not 2 * window < n_train < len(years) - horizon:
        raise ValueError(f"test_start={test_start} leaves {n_train} training years; need more than {2 * window}")
    raw = np.sqrt(spots)
    mu, sd = raw[:n_train].mean(), raw[:n_train].std()
    z = (raw - mu) / sd

    def to_spots(v):  # back to sunspot units; clip because sqrt-space forecasts can dip below 0
        return np.clip(v * sd + mu, 0, None) ** 2

    x, y = _windows(z[:n_train], window, stride=2)
    rng = np.random.default_rng(seed)
    params = init_model(1, hidden, 1, seed=seed)
    opt = Adam(lr=1e-2)

    def batches(epoch):
        order = rng.permutation(x.shape[1])
        for chunk in np.array_split(order, 4):
            yield x[:, chunk], y[:, chunk]

    history = fit(params, batches, opt, epochs=epochs, verbose=False, max_norm=1.0)

    # One pass over the whole series: h_t has seen only years <= t, so ŷ_t is a true forecast of t+1.
    z_hat = predict(params, z[:, None, None])[:, 0, 0]
    K = len(years) - n_train
    actual = spots[n_train:]
    coef = ar_fit(z[:n_train], ar_order)
    forecasts = {
        "persistence": spots[n_train - 1:-1],
        "seasonal naive (11 y)": spots[n_train - 11:len(spots) - 11],
        f"linear AR({ar_order})": to_spots(np.array([ar_predict_next(z[:t], coef) for t in range(n_train, len(z))])),
        "LSTM": to_spots(z_hat[n_train - 1:-1]),
    }
    assert all(len(f) == K for f in forecasts.values())
    rmse = {k: float(np.sqrt(np.mean((f - actual) ** 2))) for k, f in forecasts.items()}
    mae = {k: float(np.mean(np.abs(f - actual))) for k, f in forecasts.items()}

    # Recursive forecast: from test_start on, feed each prediction back in as the next input.
    lstm_path, ar_path = list(z[:n_train]), list(z[:n_train])
    for _ in range(horizon):
        lstm_path.append(predict(params, np.array(lstm_path)[:, None, None])[-1, 0, 0])
        ar_path.append(ar_predict_next(np.array(ar_path), coef))
    return ForecastResult(
        years=years[n_train:], actual=actual, forecasts=forecasts, rmse=rmse, mae=mae, loss_history=history,
        recursive=to_spots(np.array(lstm_path[n_train:])), recursive_ar=to_spots(np.array(ar_path[n_train:])),
    )


def sunspot_forecast_over_seeds(seeds: tuple[int, ...] = SEEDS, **kwargs) -> dict[int, ForecastResult]:
    """:func:`sunspot_forecast` under every seed. The baselines do not depend on the seed; the LSTM does."""
    return over_seeds(lambda s: sunspot_forecast(seed=s, **kwargs), seeds)


def horizon_rmse(forecast: np.ndarray, actual: np.ndarray) -> float:
    """RMSE of a recursive forecast over its horizon: ``forecast`` (h,) against the first h actual values."""
    return float(np.sqrt(np.mean((forecast - actual[:len(forecast)]) ** 2)))
