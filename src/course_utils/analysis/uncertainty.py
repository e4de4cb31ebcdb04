"""How sure a score is: bootstrap intervals, paired tests, per-class caveats.

A score on a few hundred test images is an estimate. ``bootstrap_intervals``
resamples the test images (with replacement, seeded, vectorised with numpy)
and gives a percentile interval for accuracy, balanced accuracy and macro-F1
(the same definitions as :func:`course_utils.analysis.metrics.scores`).
Two models scored on the *same* images are compared pairwise:
``paired_bootstrap`` resamples the images once for both models, and
``mcnemar`` runs McNemar's exact test on the images where exactly one model
is right (``scipy.stats.binomtest``). ``per_class`` gives recall, precision
and F1 per class and marks the classes with too few images to be ranked.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from course_utils.config.study import SEED

#: The classifier metrics with intervals (names as in ``metrics.scores``).
METRICS = ("accuracy", "balanced accuracy", "macro-F1")
#: Resamples per bootstrap.
RESAMPLES = 1_000
#: Classes with fewer test images than this are marked, never ranked.
MIN_IMAGES = 5
#: Resamples counted at once (bounds the memory of the index array).
_CHUNK = 250


def _encode(*labels) -> tuple[list[np.ndarray], int]:
    """The label arrays as class indices 0..k-1 over their union, and k."""
    arrays = [np.asarray(a).ravel() for a in labels]
    n = arrays[0].size
    if n == 0:
        raise ValueError("an interval needs at least one image; got none")
    if any(a.size != n for a in arrays):
        sizes = [a.size for a in arrays]
        raise ValueError(f"labels of different lengths: {sizes}")
    _, codes = np.unique(np.concatenate(arrays), return_inverse=True)
    k = int(codes.max()) + 1
    return [codes[i * n : (i + 1) * n] for i in range(len(arrays))], k


def _metrics(counts: np.ndarray) -> dict[str, np.ndarray]:
    """The metrics of confusion matrices ``counts`` (..., true, pred)."""
    tp = np.diagonal(counts, axis1=-2, axis2=-1).astype(float)
    support = counts.sum(axis=-1).astype(float)
    predicted = counts.sum(axis=-2).astype(float)
    n = support.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(support > 0, tp / support, 0.0)
        balanced = recall.sum(-1) / (support > 0).sum(-1)
        # sklearn's macro-F1 averages over classes seen in truth or
        # prediction; for those, 2·TP + FP + FN = support + predicted > 0.
        seen = (support + predicted) > 0
        f1 = np.where(seen, 2 * tp / (support + predicted), 0.0)
        macro_f1 = f1.sum(-1) / seen.sum(-1)
    return {
        "accuracy": tp.sum(-1) / n,
        "balanced accuracy": balanced,
        "macro-F1": macro_f1,
    }


def _confusions(codes: np.ndarray, k: int, index: np.ndarray) -> np.ndarray:
    """Confusion matrices (b, k, k) of the resamples ``index`` (b, n)."""
    b = index.shape[0]
    offset = (np.arange(b) * k * k)[:, None]
    flat = np.bincount((codes[index] + offset).ravel(), minlength=b * k * k)
    return flat.reshape(b, k, k)


def _resamples(n: int, resamples: int, seed: int):
    """Seeded bootstrap index arrays, ``_CHUNK`` resamples at a time."""
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    rng = np.random.default_rng(seed)
    done = 0
    while done < resamples:
        b = min(_CHUNK, resamples - done)
        yield rng.integers(0, n, size=(b, n))
        done += b


def _check_confidence(confidence: float) -> tuple[float, float]:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    tail = (1 - confidence) / 2
    return 100 * tail, 100 * (1 - tail)


def _check_metrics(metrics: Sequence[str]) -> list[str]:
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metrics {unknown}; known: {METRICS}")
    return list(metrics)


def point_scores(y_true, y_pred) -> dict[str, float]:
    """Accuracy, balanced accuracy and macro-F1 of one set of predictions."""
    (t, p), k = _encode(y_true, y_pred)
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (t, p), 1)
    return {m: float(v) for m, v in _metrics(counts).items()}


def bootstrap_intervals(
    y_true,
    y_pred,
    *,
    metrics: Sequence[str] = METRICS,
    resamples: int = RESAMPLES,
    confidence: float = 0.95,
    seed: int = SEED,
) -> pd.DataFrame:
    """Percentile bootstrap intervals over the test images.

    One row per metric: ``metric``, ``value`` (on all images), ``low`` and
    ``high`` (the ``confidence`` interval of ``resamples`` resamples of the
    images, drawn with ``seed``).
    """
    metrics = _check_metrics(metrics)
    lo_q, hi_q = _check_confidence(confidence)
    (t, p), k = _encode(y_true, y_pred)
    codes = t * k + p
    draws = {m: [] for m in metrics}
    for index in _resamples(t.size, resamples, seed):
        values = _metrics(_confusions(codes, k, index))
        for m in metrics:
            draws[m].append(values[m])
    value = point_scores(y_true, y_pred)
    rows = []
    for m in metrics:
        d = np.concatenate(draws[m])
        low, high = np.percentile(d, [lo_q, hi_q])
        rows.append((m, value[m], float(low), float(high)))
    return pd.DataFrame(rows, columns=["metric", "value", "low", "high"])


def paired_bootstrap(
    y_true,
    pred_a,
    pred_b,
    *,
    metrics: Sequence[str] = METRICS,
    resamples: int = RESAMPLES,
    confidence: float = 0.95,
    seed: int = SEED,
) -> pd.DataFrame:
    """Model A minus model B on the same images, resampled together.

    One row per metric: ``metric``, ``difference`` (A − B on all images),
    ``low`` and ``high`` (its percentile interval) and ``p_value``, the
    two-sided bootstrap p-value of "no difference":
    ``min(1, 2 (m + 1) / (resamples + 1))`` where ``m`` counts the
    resampled differences on the far side of zero (at or below it when A
    is ahead, at or above it otherwise). Identical predictions give 0 and
    p = 1; the smallest p it can give is ``2 / (resamples + 1)``.
    """
    metrics = _check_metrics(metrics)
    lo_q, hi_q = _check_confidence(confidence)
    (t, a, b), k = _encode(y_true, pred_a, pred_b)
    codes_a, codes_b = t * k + a, t * k + b
    draws = {m: [] for m in metrics}
    for index in _resamples(t.size, resamples, seed):
        va = _metrics(_confusions(codes_a, k, index))
        vb = _metrics(_confusions(codes_b, k, index))
        for m in metrics:
            draws[m].append(va[m] - vb[m])
    score_a = point_scores(y_true, pred_a)
    score_b = point_scores(y_true, pred_b)
    rows = []
    for m in metrics:
        d = np.concatenate(draws[m])
        diff = score_a[m] - score_b[m]
        low, high = np.percentile(d, [lo_q, hi_q])
        far = np.sum(d <= 0) if diff >= 0 else np.sum(d >= 0)
        if diff == 0:
            far = min(np.sum(d <= 0), np.sum(d >= 0))
        p = min(1.0, 2 * (int(far) + 1) / (d.size + 1))
        rows.append((m, diff, float(low), float(high), p))
    return pd.DataFrame(
        rows, columns=["metric", "difference", "low", "high", "p_value"]
    )


def mcnemar(y_true, pred_a, pred_b, *, confidence: float = 0.95) -> dict:
    """McNemar's exact test of two models' accuracy on the same images.

    Only discordant images count: ``a_only`` (A right, B wrong) and
    ``b_only``. Under "equally accurate" ``a_only`` is Binomial(a_only +
    b_only, 1/2); the p-value is ``scipy.stats.binomtest``'s two-sided one.
    ``difference`` is A's accuracy minus B's, ``(a_only − b_only) / n``;
    ``low``/``high`` turn the exact (Clopper–Pearson) interval of
    ``a_only / (a_only + b_only)`` into that scale, given the number of
    discordant images. No discordant images: difference 0, p = 1.
    """
    from scipy.stats import binomtest  # deferred: scipy.stats is slow

    _check_confidence(confidence)
    (t, a, b), _ = _encode(y_true, pred_a, pred_b)
    right_a, right_b = a == t, b == t
    a_only = int(np.sum(right_a & ~right_b))
    b_only = int(np.sum(~right_a & right_b))
    n, discordant = t.size, a_only + b_only
    out = {
        "images": n,
        "a_only": a_only,
        "b_only": b_only,
        "difference": (a_only - b_only) / n,
    }
    if discordant == 0:
        return out | {"low": 0.0, "high": 0.0, "p_value": 1.0}
    test = binomtest(a_only, discordant, 0.5)
    ci = test.proportion_ci(confidence_level=confidence, method="exact")
    scale = discordant / n
    return out | {
        "low": scale * (2 * ci.low - 1),
        "high": scale * (2 * ci.high - 1),
        "p_value": float(test.pvalue),
    }


def per_class(
    y_true,
    y_pred,
    class_names: Sequence[str],
    *,
    min_images: int = MIN_IMAGES,
) -> pd.DataFrame:
    """Recall, precision and F1 per class; small classes marked, not ranked.

    ``y_true``/``y_pred`` are class indices into ``class_names``. Columns:
    ``class``, ``images`` (test images of the class), ``recall``,
    ``precision``, ``F1`` (NaN where undefined), ``few images`` (fewer than
    ``min_images``) and ``rank`` by F1 (1 = best), missing for the marked
    classes. Ranked classes come first, by rank, then the marked ones
    in class order.
    """
    t = np.asarray(y_true, dtype=int).ravel()
    p = np.asarray(y_pred, dtype=int).ravel()
    k = len(class_names)
    if t.size != p.size:
        raise ValueError(f"labels of different lengths: {t.size}, {p.size}")
    bad = np.concatenate([t, p])
    if bad.size and (bad.min() < 0 or bad.max() >= k):
        raise ValueError(f"class indices must be in 0..{k - 1}")
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (t, p), 1)
    tp = np.diagonal(counts).astype(float)
    support = counts.sum(1)
    predicted = counts.sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(support > 0, tp / support, np.nan)
        precision = np.where(predicted > 0, tp / predicted, np.nan)
        denominator = support + predicted
        f1 = np.where(denominator > 0, 2 * tp / denominator, np.nan)
    table = pd.DataFrame(
        {
            "class": list(class_names),
            "images": support,
            "recall": recall,
            "precision": precision,
            "F1": f1,
            "few images": support < min_images,
        }
    )
    ranked = table[~table["few images"]]
    order = ranked["F1"].rank(ascending=False, method="min")
    table["rank"] = pd.array([pd.NA] * k, dtype="Int64")
    table.loc[order.index, "rank"] = order.astype("Int64")
    table["_key"] = table["rank"].fillna(k + 1)
    table = table.sort_values("_key", kind="stable")
    return table.drop(columns="_key").reset_index(drop=True)


def interval_table(
    predictions: dict[str, tuple],
    *,
    metrics: Sequence[str] = METRICS,
    resamples: int = RESAMPLES,
    confidence: float = 0.95,
    seed: int = SEED,
) -> pd.DataFrame:
    """One row per model: each metric with its bootstrap interval.

    ``predictions`` maps a label to ``(y_true, y_pred)`` on the test
    images. Columns: for each metric ``m``, ``m``, ``m low`` and ``m high``,
    then ``images``.
    """
    rows = {}
    for label, (y_true, y_pred) in predictions.items():
        ci = bootstrap_intervals(
            y_true,
            y_pred,
            metrics=metrics,
            resamples=resamples,
            confidence=confidence,
            seed=seed,
        ).set_index("metric")
        row = {}
        for m in metrics:
            row |= {
                m: ci.loc[m, "value"],
                f"{m} low": ci.loc[m, "low"],
                f"{m} high": ci.loc[m, "high"],
            }
        rows[label] = row | {"images": int(np.asarray(y_true).size)}
    return pd.DataFrame.from_dict(rows, orient="index")


def with_intervals(
    table: pd.DataFrame, metrics: Sequence[str] = METRICS, digits: int = 3
) -> pd.DataFrame:
    """An :func:`interval_table` for reading: ``0.512 [0.47, 0.55]``."""
    return pd.DataFrame(
        {
            m: [
                f"{v:.{digits}f} [{lo:.{digits - 1}f}, {hi:.{digits - 1}f}]"
                for v, lo, hi in zip(
                    table[m], table[f"{m} low"], table[f"{m} high"]
                )
            ]
            for m in metrics
        },
        index=table.index,
    )


def compare(
    y_true,
    pred_a,
    pred_b,
    *,
    metrics: Sequence[str] = METRICS,
    resamples: int = RESAMPLES,
    confidence: float = 0.95,
    seed: int = SEED,
) -> pd.DataFrame:
    """Model A against model B on the same images: the paired bootstrap
    for every metric and McNemar's exact test for accuracy.

    Columns: ``difference`` (A − B), ``low``, ``high``, ``p_value`` and
    ``test``; one row per metric, then ``accuracy (McNemar)``.
    """
    paired = paired_bootstrap(
        y_true,
        pred_a,
        pred_b,
        metrics=metrics,
        resamples=resamples,
        confidence=confidence,
        seed=seed,
    ).set_index("metric")
    paired["test"] = "paired bootstrap"
    exact = mcnemar(y_true, pred_a, pred_b, confidence=confidence)
    paired.loc["accuracy (McNemar)"] = {
        "difference": exact["difference"],
        "low": exact["low"],
        "high": exact["high"],
        "p_value": exact["p_value"],
        "test": "McNemar exact",
    }
    return paired


def reading(
    comparison: pd.DataFrame, a: str, b: str, alpha: float = 0.05
) -> str:
    """What a :func:`compare` table supports, in one sentence per metric."""
    lines = []
    for metric, row in comparison.iterrows():
        ahead = a if row["difference"] > 0 else b
        supported = row["p_value"] < alpha
        verdict = (
            f"the data support that {ahead} is ahead"
            if supported and row["difference"] != 0
            else "the data do not show a difference"
        )
        lines.append(
            f"{metric}: {a} − {b} = {row['difference']:+.3f} "
            f"[{row['low']:+.3f}, {row['high']:+.3f}], "
            f"p = {row['p_value']:.3f} ({row['test']}): {verdict} "
            f"at the {alpha:g} level"
        )
    return "\n".join(lines)


def bootstrap_statistic(
    statistic,
    *arrays,
    resamples: int = RESAMPLES,
    confidence: float = 0.95,
    seed: int = SEED,
) -> dict[str, float]:
    """A percentile interval of any statistic of per-item arrays (e.g. a
    regression's RMSE, a retrieval's precision per query): the rows of
    all ``arrays`` are resampled together. Returns value, low, high."""
    lo_q, hi_q = _check_confidence(confidence)
    arrays = [np.asarray(a) for a in arrays]
    n = len(arrays[0])
    if n == 0 or any(len(a) != n for a in arrays):
        raise ValueError(
            f"arrays of lengths {[len(a) for a in arrays]}: need equal, "
            "non-zero lengths"
        )
    draws = [
        statistic(*(a[i] for a in arrays))
        for chunk in _resamples(n, resamples, seed)
        for i in chunk
    ]
    low, high = np.nanpercentile(draws, [lo_q, hi_q])
    return {
        "value": float(statistic(*arrays)),
        "low": float(low),
        "high": float(high),
    }
