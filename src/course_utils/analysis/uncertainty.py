"""How sure a test score is: cluster bootstrap intervals over artists, paired tests, repeats over seeds.

**Clusters.** An artist's works share a hand, a palette and often a mood, so a model tends to be right or wrong on
several of them together; the grouped split keeps each artist in one part for that reason. Resampling single test
images treats those works as independent and gives intervals that are too narrow. Every function here takes
``groups``, each test image's cluster (its artist: :func:`course_utils.datasets.pipeline.artists_of`), and then
draws *artists* with replacement and keeps all their works: the cluster bootstrap (Field & Welsh, 2007, JRSS B 69,
369–390). ``groups=None`` makes every image its own cluster, which is right only where the images are independent. With
few artists the cluster bootstrap runs below its level: on simulated test sets whose artists share their luck
(``tests/test_uncertainty.py``, ``_simulated_coverage``, 1,000 sets) a 95 % interval held the true accuracy in
87 % of them with 6 artists, 91 % with 15 and 95 % with 40; over images, 70-73 % throughout.

**Classes.** A resample that loses a class the test images hold changes what balanced accuracy and macro-F1 average
over: always answering the largest of six classes scores 1/6, but 1/5 in a resample without the rarest class, so
the interval of a constant predictor drifted above its own value. For these two metrics such resamples are drawn
again: every resample holds every class of the data (the bootstrap conditioned on the set of classes), and its
metrics average over the same classes as the score on all images. (Resampling within each class, the stratified
bootstrap of Davison & Hinkley, 1997, ch. 3, would keep the classes too, but it would cut an artist's works apart
where they span classes.) The condition has a price: a class whose works come from one artist keeps that artist in
every resample, so with few artists these intervals show the luck of the others only. Accuracy means the same
without a class and is resampled without the condition. ``interval_table`` counts the clusters beside the images.

**Intervals.** The percentile interval of the resampled statistic (at 95 %, its 2.5th and 97.5th percentiles,
``numpy.percentile``). One rule on top: where the estimate lies outside it (its resampling distribution so skewed
that the estimate is in a tail), the interval is widened to reach the estimate, so ``low <= value <= high`` always
holds; the rule can only widen.

**Constant predictors.** A baseline that answers one class, chosen from the training labels, has no sampling error
of its own (``exact=True``); see :func:`bootstrap_intervals`.

**Seeds.** :func:`compare_over_seeds` repeats a comparison over training seeds: mean, spread and a paired interval
that resamples both the seeds and the artists.
"""

from __future__ import annotations

from typing import Callable, Collection, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from course_utils.config.study import SEED

#: The classifier metrics with intervals (names as in ``metrics.scores``).
METRICS = ("accuracy", "balanced accuracy", "macro-F1")
#: Resamples per bootstrap.
RESAMPLES = 1_000
#: Classes with fewer test images than this are marked, never ranked.
MIN_IMAGES = 5
#: The metrics that average over classes: their resamples hold every class.
CLASS_AVERAGED = ("balanced accuracy", "macro-F1")
#: Resamples drawn at once (bounds the memory of the index array).
_CHUNK = 250
#: Draws per kept resample before the class condition gives up.
_MAX_TRIES = 100


def _check_confidence(confidence: float) -> tuple[float, float]:
    """The percentiles (0–100) of a central ``confidence`` interval."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    low = round(50 * (1 - confidence), 12)  # 2.5, not 2.500000000000002
    return low, 100 - low


def _check_metrics(metrics: Sequence[str]) -> list[str]:
    """``metrics``, checked against :data:`METRICS`."""
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metrics {unknown}; known: {METRICS}")
    return list(metrics)


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


def cluster_codes(groups, n: int) -> tuple[np.ndarray, int]:
    """Each image's cluster as an index into ``np.unique(groups)``, and
    the number of clusters; ``groups=None``: every image its own."""
    if groups is None:
        return np.arange(n), n
    groups = np.asarray(groups).ravel()
    if groups.size != n:
        raise ValueError(
            f"groups has {groups.size} entries for {n} images: give one "
            "cluster (artist) per image"
        )
    if any(g is None or g != g for g in groups.tolist()):
        raise ValueError("groups holds a missing cluster (None or NaN)")
    _, codes = np.unique(groups, return_inverse=True)
    return codes.ravel(), int(codes.max()) + 1


def _presence(codes: np.ndarray, g: int, classes) -> np.ndarray | None:
    """(g, k) whether each cluster holds each class of ``classes``."""
    if classes is None:
        return None
    (c,), k = _encode(classes)
    table = np.zeros((g, k), dtype=bool)
    table[codes, c] = True
    return table


def _draw_chunks(
    g: int, resamples: int, seed, presence: np.ndarray | None
) -> Iterator[np.ndarray]:
    """Seeded draws of ``g`` cluster indices with replacement, (b, g) per
    chunk; with ``presence``, only draws that hold every class (redrawn,
    up to ``_MAX_TRIES`` draws per resample kept)."""
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    rng = np.random.default_rng(seed)
    kept, tried = 0, 0
    while kept < resamples:
        if presence is None:
            yield rng.integers(
                0, g, size=(min(_CHUNK, resamples - kept), g)
            )
            kept += min(_CHUNK, resamples - kept)
            continue
        if tried >= _MAX_TRIES * resamples:
            raise ValueError(
                f"only {kept} of {tried} resamples of {g} clusters hold "
                "every class: a class lies in too few clusters for a "
                "class-aware bootstrap"
            )
        draws = rng.integers(0, g, size=(_CHUNK, g))
        tried += _CHUNK
        holds = ((_counts(draws, g) @ presence) > 0).all(axis=1)
        draws = draws[holds][: resamples - kept]
        kept += len(draws)
        if len(draws):
            yield draws


def _counts(draws: np.ndarray, g: int) -> np.ndarray:
    """How often each of ``g`` clusters is drawn in each row of ``draws``."""
    b = draws.shape[0]
    offset = (np.arange(b) * g)[:, None]
    flat = np.bincount((draws + offset).ravel(), minlength=b * g)
    return flat.reshape(b, g)


def resample_counts(
    groups,
    n: int | None = None,
    *,
    classes=None,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> np.ndarray:
    """How many times each cluster is drawn in each resample, (resamples,
    clusters), clusters in ``np.unique(groups)`` order: what every
    interval here is computed from. ``classes`` (one label per image):
    only resamples that hold every class among them are kept."""
    if n is None and groups is None:
        raise ValueError("resample_counts needs groups or the number n")
    n = len(groups) if n is None else n
    codes, g = cluster_codes(groups, n)
    presence = _presence(codes, g, classes)
    chunks = _draw_chunks(g, resamples, seed, presence)
    return np.concatenate([_counts(d, g) for d in chunks])


def _interval(
    draws: np.ndarray, value: float, confidence: float
) -> tuple[float, float]:
    """The percentile interval of ``draws``, widened to hold ``value``."""
    lo_q, hi_q = _check_confidence(confidence)
    low, high = np.nanpercentile(draws, [lo_q, hi_q])
    return float(np.fmin(low, value)), float(np.fmax(high, value))


def _p_value(difference: float, draws: np.ndarray) -> float:
    """Two-sided bootstrap p-value of "no difference": ``min(1, 2 (m + 1)
    / (B + 1))``, ``m`` the draws on the far side of zero."""
    if difference > 0:
        far = np.sum(draws <= 0)
    elif difference < 0:
        far = np.sum(draws >= 0)
    else:
        far = min(np.sum(draws <= 0), np.sum(draws >= 0))
    return min(1.0, 2 * (int(far) + 1) / (draws.size + 1))


def _metrics(
    counts: np.ndarray, truth: np.ndarray, seen: np.ndarray
) -> dict[str, np.ndarray]:
    """The metrics of confusion matrices ``counts`` (..., true, pred),
    averaged over fixed classes: balanced accuracy over ``truth`` (the
    classes in the true labels of all images), macro-F1 over ``seen``
    (in the true or predicted labels: scikit-learn's definition)."""
    tp = np.diagonal(counts, axis1=-2, axis2=-1).astype(float)
    support = counts.sum(axis=-1).astype(float)
    predicted = counts.sum(axis=-2).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(support > 0, tp / support, 0.0)
        # for a seen class, 2·TP + FP + FN = support + predicted
        denominator = support + predicted
        f1 = np.where(denominator > 0, 2 * tp / denominator, 0.0)
        return {
            "accuracy": tp.sum(-1) / support.sum(-1),
            "balanced accuracy": (recall * truth).sum(-1) / truth.sum(),
            "macro-F1": (f1 * seen).sum(-1) / seen.sum(),
        }


class _Scored:
    """One set of labels and predictions, summed per cluster: any
    resample's confusion matrix is a product of counts and these sums."""

    def __init__(self, t: np.ndarray, p: np.ndarray, k: int, codes, g):
        self.k = k
        flat = np.zeros((g, k * k))
        np.add.at(flat, (codes, t * k + p), 1.0)
        self.per_cluster = flat
        full = flat.sum(axis=0).reshape(k, k)
        self.truth = full.sum(axis=1) > 0
        self.seen = (full.sum(axis=1) + full.sum(axis=0)) > 0
        self.value = {
            m: float(v) for m, v in self.metrics(full[None]).items()
        }

    def metrics(self, confusions: np.ndarray) -> dict[str, np.ndarray]:
        """Metrics of (b, k, k) confusion matrices, on this set's classes."""
        return _metrics(confusions, self.truth, self.seen)

    def resampled(self, counts: np.ndarray) -> dict[str, np.ndarray]:
        """Metrics of each resample, given its cluster ``counts`` (b, g)."""
        confusions = counts @ self.per_cluster
        return self.metrics(confusions.reshape(-1, self.k, self.k))


def point_scores(y_true, y_pred) -> dict[str, float]:
    """Accuracy, balanced accuracy and macro-F1 of one set of predictions."""
    (t, p), k = _encode(y_true, y_pred)
    return _Scored(t, p, k, np.zeros(t.size, dtype=int), 1).value


def _check_constant(y_pred) -> None:
    """Fail unless ``y_pred`` answers one class throughout."""
    if np.unique(np.asarray(y_pred).ravel()).size != 1:
        raise ValueError(
            "exact=True is for a constant predictor (one class for every "
            "image); these predictions name several classes"
        )


def bootstrap_intervals(
    y_true,
    y_pred,
    *,
    groups=None,
    exact: bool = False,
    metrics: Sequence[str] = METRICS,
    resamples: int = RESAMPLES,
    confidence: float = 0.95,
    seed: int = SEED,
) -> pd.DataFrame:
    """Class-aware percentile intervals over clusters (``groups``, e.g.
    each image's artist; ``None``: over images).

    One row per metric: ``metric``, ``value`` (on all images), ``low``
    and ``high`` (the ``confidence`` interval of ``resamples`` resamples,
    drawn with ``seed``; for balanced accuracy and macro-F1 each resample
    holds every class of ``y_true``; widened to hold ``value`` where it
    lies outside).

    ``exact=True`` marks a constant predictor (one class for every image,
    chosen from the training labels): ``low = high = value``. Its score is
    a fixed function of the test labels' class counts (accuracy: the
    share of its class; balanced accuracy: one over the number of
    classes), with nothing learned from pictures and no training seed to
    vary, so there is no model sampling for an interval to express. What
    does vary with the test images is shared with any model scored on the
    same images, and the paired comparison (:func:`compare`) accounts
    for it.
    """
    metrics = _check_metrics(metrics)
    _check_confidence(confidence)
    (t, p), k = _encode(y_true, y_pred)
    codes, g = cluster_codes(groups, t.size)
    scored = _Scored(t, p, k, codes, g)
    if exact:
        _check_constant(y_pred)
        rows = [(m, *[scored.value[m]] * 3) for m in metrics]
        return pd.DataFrame(
            rows, columns=["metric", "value", "low", "high"]
        )
    (draws,) = _resampled_metrics(
        [scored], codes, g, t, metrics, resamples, seed
    )
    rows = []
    for m in metrics:
        value = scored.value[m]
        low, high = _interval(draws[m], value, confidence)
        rows.append((m, value, low, high))
    return pd.DataFrame(rows, columns=["metric", "value", "low", "high"])


def _all_counts(g: int, resamples: int, seed, presence) -> np.ndarray:
    """Cluster counts of every resample, (resamples, g), as floats."""
    chunks = _draw_chunks(g, resamples, seed, presence)
    return np.concatenate([_counts(d, g) for d in chunks]).astype(float)


def _resampled_metrics(
    scored: Sequence[_Scored],
    codes: np.ndarray,
    g: int,
    truth: np.ndarray,
    metrics: Sequence[str],
    resamples: int,
    seed,
) -> list[dict[str, np.ndarray]]:
    """Each scored set's metrics in each resample of the clusters: the
    class-averaged ones on resamples that hold every class of ``truth``,
    accuracy on all resamples (it means the same without a class, and
    the class condition would pin a rare class's artists into every
    resample, narrowing its interval for nothing)."""
    out: list[dict[str, np.ndarray]] = [{} for _ in scored]
    for aware in (False, True):
        wanted = [m for m in metrics if (m in CLASS_AVERAGED) == aware]
        if not wanted:
            continue
        presence = _presence(codes, g, truth) if aware else None
        counts = _all_counts(g, resamples, seed, presence)
        for values, one in zip(out, scored):
            resampled = one.resampled(counts)
            values.update({m: resampled[m] for m in wanted})
    return out


def paired_bootstrap(
    y_true,
    pred_a,
    pred_b,
    *,
    groups=None,
    metrics: Sequence[str] = METRICS,
    resamples: int = RESAMPLES,
    confidence: float = 0.95,
    seed: int = SEED,
) -> pd.DataFrame:
    """Model A minus model B on the same images, resampled together (by
    cluster, ``groups``; class-aware, as :func:`bootstrap_intervals`).

    One row per metric: ``metric``, ``difference`` (A − B on all images),
    ``low`` and ``high`` (its percentile interval, widened to hold the
    difference) and ``p_value``, the two-sided bootstrap p-value of "no
    difference": ``min(1, 2 (m + 1) / (resamples + 1))`` where ``m``
    counts the resampled differences on the far side of zero (at or below
    it when A is ahead, at or above it otherwise). Identical predictions
    give 0 and p = 1; the smallest p it can give is
    ``2 / (resamples + 1)``.
    """
    metrics = _check_metrics(metrics)
    _check_confidence(confidence)
    (t, a, b), k = _encode(y_true, pred_a, pred_b)
    codes, g = cluster_codes(groups, t.size)
    scored = [_Scored(t, p, k, codes, g) for p in (a, b)]
    va, vb = _resampled_metrics(
        scored, codes, g, t, metrics, resamples, seed
    )
    draws = {m: va[m] - vb[m] for m in metrics}
    rows = []
    for m in metrics:
        diff = scored[0].value[m] - scored[1].value[m]
        low, high = _interval(draws[m], diff, confidence)
        rows.append((m, diff, low, high, _p_value(diff, draws[m])))
    return pd.DataFrame(
        rows, columns=["metric", "difference", "low", "high", "p_value"]
    )


def mcnemar(
    y_true, pred_a, pred_b, *, groups=None, confidence: float = 0.95
) -> dict:
    """McNemar's test of two models' accuracy on the same images.

    Only discordant images count: ``a_only`` (A right, B wrong) and
    ``b_only``; ``difference`` is A's accuracy minus B's,
    ``(a_only − b_only) / n``. No discordant images: difference 0, p = 1.

    Without ``groups`` it is the exact test: under "equally accurate"
    ``a_only`` is Binomial(a_only + b_only, 1/2) (``scipy.stats.binomtest``),
    and ``low``/``high`` turn the exact (Clopper–Pearson) interval of
    ``a_only / (a_only + b_only)`` into the difference's scale. With
    ``groups`` (artists) the discordant images of one cluster are not
    independent, and the test is the clustered McNemar of Durkalski et
    al. (2003, Statistics in Medicine 22, 2417–2428): with ``d_i`` =
    a_only − b_only in cluster ``i``, ``X² = (Σ d_i)² / Σ d_i²`` against
    χ² with 1 degree of freedom (one image per cluster: the usual
    asymptotic McNemar), and the interval ``difference ± z √(Σ d_i²) / n``
    (it excludes 0 exactly when p < 1 − confidence).
    """
    _check_confidence(confidence)
    (t, a, b), _ = _encode(y_true, pred_a, pred_b)
    right_a, right_b = a == t, b == t
    only_a, only_b = right_a & ~right_b, ~right_a & right_b
    a_only, b_only = int(only_a.sum()), int(only_b.sum())
    n, discordant = t.size, a_only + b_only
    out = {
        "images": n,
        "a_only": a_only,
        "b_only": b_only,
        "difference": (a_only - b_only) / n,
    }
    if discordant == 0:
        return out | {"low": 0.0, "high": 0.0, "p_value": 1.0}
    if groups is None:
        return out | _mcnemar_exact(a_only, discordant, n, confidence)
    codes, g = cluster_codes(groups, n)
    d = np.bincount(
        codes, weights=only_a.astype(float) - only_b, minlength=g
    )
    return out | _mcnemar_clustered(d, n, confidence)


def _mcnemar_exact(
    a_only: int, discordant: int, n: int, confidence: float
) -> dict:
    """McNemar's exact test and its Clopper–Pearson interval."""
    from scipy.stats import binomtest  # deferred: scipy.stats is slow

    test = binomtest(a_only, discordant, 0.5)
    ci = test.proportion_ci(confidence_level=confidence, method="exact")
    scale = discordant / n
    return {
        "low": scale * (2 * ci.low - 1),
        "high": scale * (2 * ci.high - 1),
        "p_value": float(test.pvalue),
    }


def _mcnemar_clustered(d: np.ndarray, n: int, confidence: float) -> dict:
    """Durkalski's clustered McNemar test from per-cluster ``d_i``."""
    from scipy.stats import chi2, norm  # deferred: scipy.stats is slow

    total, spread = float(d.sum()), float((d**2).sum())
    if spread == 0:  # every cluster as many images for A as for B
        return {"low": 0.0, "high": 0.0, "p_value": 1.0}
    half = norm.ppf(0.5 + confidence / 2) * np.sqrt(spread) / n
    return {
        "low": total / n - half,
        "high": total / n + half,
        "p_value": float(chi2.sf(total**2 / spread, 1)),
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
    predictions: Mapping[str, tuple],
    *,
    groups=None,
    exact: Collection[str] = (),
    metrics: Sequence[str] = METRICS,
    resamples: int = RESAMPLES,
    confidence: float = 0.95,
    seed: int = SEED,
) -> pd.DataFrame:
    """One row per model: each metric with its cluster bootstrap interval.

    ``predictions`` maps a label to ``(y_true, y_pred)`` on the test
    images, or ``(y_true, y_pred, groups)`` where a row has images of its
    own; ``groups`` (each image's artist) serves the others. ``exact``
    names the constant predictors (:func:`bootstrap_intervals`). Columns:
    for each metric ``m``, ``m``, ``m low`` and ``m high``, then
    ``images``, ``clusters`` (the artists resampled; the images where
    there are none) and ``exact``.
    """
    unknown = sorted(set(exact) - set(predictions))
    if unknown:
        raise ValueError(f"exact names no row of the table: {unknown}")
    rows = {}
    for label, entry in predictions.items():
        y_true, y_pred, *own = entry
        row_groups = own[0] if own else groups
        n = int(np.asarray(y_true).size)
        ci = bootstrap_intervals(
            y_true,
            y_pred,
            groups=row_groups,
            exact=label in exact,
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
        rows[label] = row | {
            "images": n,
            "clusters": cluster_codes(row_groups, n)[1],
            "exact": label in exact,
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def with_intervals(
    table: pd.DataFrame, metrics: Sequence[str] = METRICS, digits: int = 3
) -> pd.DataFrame:
    """An :func:`interval_table` for reading: ``0.512 [0.47, 0.55]``, and
    ``0.459 (exact)`` for a constant predictor (no interval)."""
    exact = (
        table["exact"].astype(bool)
        if "exact" in table
        else pd.Series(False, index=table.index)
    )

    def cell(v: float, lo: float, hi: float, is_exact: bool) -> str:
        if is_exact:
            return f"{v:.{digits}f} (exact)"
        return f"{v:.{digits}f} [{lo:.{digits - 1}f}, {hi:.{digits - 1}f}]"

    return pd.DataFrame(
        {
            m: [
                cell(*row)
                for row in zip(
                    table[m], table[f"{m} low"], table[f"{m} high"], exact
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
    groups=None,
    metrics: Sequence[str] = METRICS,
    resamples: int = RESAMPLES,
    confidence: float = 0.95,
    seed: int = SEED,
) -> pd.DataFrame:
    """Model A against model B on the same images: the paired bootstrap
    for every metric and McNemar's test for accuracy, both over clusters
    (``groups``, each image's artist) when given.

    Columns: ``difference`` (A − B), ``low``, ``high``, ``p_value`` and
    ``test``; one row per metric, then ``accuracy (McNemar)``.
    """
    paired = paired_bootstrap(
        y_true,
        pred_a,
        pred_b,
        groups=groups,
        metrics=metrics,
        resamples=resamples,
        confidence=confidence,
        seed=seed,
    ).set_index("metric")
    clustered = groups is not None
    paired["test"] = (
        "paired cluster bootstrap" if clustered else "paired bootstrap"
    )
    exact = mcnemar(
        y_true, pred_a, pred_b, groups=groups, confidence=confidence
    )
    paired.loc["accuracy (McNemar)"] = {
        "difference": exact["difference"],
        "low": exact["low"],
        "high": exact["high"],
        "p_value": exact["p_value"],
        "test": "McNemar clustered" if clustered else "McNemar exact",
    }
    return paired


def reading(
    comparison: pd.DataFrame, a: str, b: str, alpha: float = 0.05
) -> str:
    """What a :func:`compare` table supports, in one sentence per metric."""
    lines = []
    for metric, row in comparison.iterrows():
        lines.append(
            f"{metric}: {a} − {b} = {row['difference']:+.3f} "
            f"[{row['low']:+.3f}, {row['high']:+.3f}], "
            f"p = {row['p_value']:.3f} ({row['test']}): "
            f"{paired_verdict(row, a, b, alpha)} at the {alpha:g} level"
        )
    return "\n".join(lines)


def paired_verdict(row, a: str, b: str, alpha: float = 0.05) -> str:
    """What one row of a paired test (``difference`` A − B, ``p_value``)
    supports, in words a chapter's prose can quote."""
    if row["p_value"] < alpha and row["difference"] != 0:
        ahead = a if row["difference"] > 0 else b
        return f"the data support that {ahead} is ahead"
    return "the data do not show a difference"


def interval_verdict(low: float, high: float, what: str) -> str:
    """How an interval of a difference (A − B, higher is better for A)
    reads, in words: A beats ``what``, does worse, or is not shown to
    differ from it."""
    if low > 0:
        return f"beats {what}"
    if high < 0:
        return f"does worse than {what}"
    return f"is not shown to differ from {what}"


def _rows(codes: np.ndarray, g: int) -> list[np.ndarray]:
    """The image indices of each cluster, in image order."""
    order = np.argsort(codes, kind="stable")
    return np.split(order, np.cumsum(np.bincount(codes, minlength=g))[:-1])


def statistic_draws(
    statistic: Callable,
    *arrays,
    groups=None,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> np.ndarray:
    """``statistic`` of each resample of the rows of ``arrays`` (resampled
    together; by cluster with ``groups``, each drawn cluster bringing all
    its rows): the draws behind :func:`bootstrap_statistic`."""
    arrays = [np.asarray(a) for a in arrays]
    n = len(arrays[0])
    if n == 0 or any(len(a) != n for a in arrays):
        raise ValueError(
            f"arrays of lengths {[len(a) for a in arrays]}: need equal, "
            "non-zero lengths"
        )
    codes, g = cluster_codes(groups, n)
    members = None if groups is None else _rows(codes, g)
    out = []
    for chunk in _draw_chunks(g, resamples, seed, None):
        for drawn in chunk:
            if members is not None:
                drawn = np.concatenate([members[c] for c in drawn])
            out.append(statistic(*(a[drawn] for a in arrays)))
    return np.asarray(out, dtype=float)


def bootstrap_statistic(
    statistic: Callable,
    *arrays,
    groups=None,
    resamples: int = RESAMPLES,
    confidence: float = 0.95,
    seed: int = SEED,
) -> dict[str, float]:
    """A percentile interval of any statistic of per-item arrays (e.g. a
    regression's RMSE, a retrieval's precision per query), over images or
    clusters (:func:`statistic_draws`). Returns value, low, high (widened
    to hold the value, as everywhere here)."""
    _check_confidence(confidence)
    draws = statistic_draws(
        statistic, *arrays, groups=groups, resamples=resamples, seed=seed
    )
    value = float(statistic(*(np.asarray(a) for a in arrays)))
    low, high = _interval(draws, value, confidence)
    return {"value": value, "low": low, "high": high}


def paired_statistic(
    difference: Callable,
    *arrays,
    groups=None,
    resamples: int = RESAMPLES,
    confidence: float = 0.95,
    seed: int = SEED,
) -> dict[str, float]:
    """A paired comparison of any statistic: ``difference`` computes A's
    statistic minus B's from the rows of ``arrays`` (e.g. truth, A's and
    B's predictions), resampled together. Returns value, low, high and
    ``p_value`` (as in :func:`paired_bootstrap`)."""
    _check_confidence(confidence)
    draws = statistic_draws(
        difference, *arrays, groups=groups, resamples=resamples, seed=seed
    )
    value = float(difference(*(np.asarray(a) for a in arrays)))
    low, high = _interval(draws, value, confidence)
    return {
        "value": value,
        "low": low,
        "high": high,
        "p_value": _p_value(value, draws),
    }


def _seed_draws(
    per_seed: Sequence[tuple], metrics: Sequence[str], resamples: int, seed
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Per seed: A − B on all its images (S, metrics) and in each
    resample of its clusters ((resamples, S) per metric). Seeds whose
    test images carry the same labels and clusters share one draw."""
    values = np.zeros((len(per_seed), len(metrics)))
    draws = {m: np.zeros((resamples, len(per_seed))) for m in metrics}
    shared: dict[tuple, int] = {}
    for s, (y_true, pred_a, pred_b, groups) in enumerate(per_seed):
        (t, a, b), k = _encode(y_true, pred_a, pred_b)
        codes, g = cluster_codes(groups, t.size)
        key = (
            g,
            codes.tobytes(),
            tuple(np.asarray(y_true).ravel().tolist()),
        )
        # the same test images: the same draw of artists (the first set of
        # images is drawn with ``seed`` itself, as paired_bootstrap does)
        shared.setdefault(key, len(shared))
        stream = np.random.SeedSequence([seed, shared[key]])
        scored = [_Scored(t, p, k, codes, g) for p in (a, b)]
        va, vb = _resampled_metrics(
            scored,
            codes,
            g,
            t,
            metrics,
            resamples,
            seed if shared[key] == 0 else stream,
        )
        for j, m in enumerate(metrics):
            values[s, j] = scored[0].value[m] - scored[1].value[m]
            draws[m][:, s] = va[m] - vb[m]
    return values, draws


def paired_over_seeds(
    per_seed: Sequence[tuple],
    *,
    metrics: Sequence[str] = METRICS,
    resamples: int = RESAMPLES,
    confidence: float = 0.95,
    seed: int = SEED,
) -> pd.DataFrame:
    """A − B repeated over training seeds, with an interval that counts
    the luck of the seed and of the test artists.

    ``per_seed``: one ``(y_true, pred_a, pred_b, groups)`` per seed, A and
    B scored on the same images within a seed (the images may differ
    from seed to seed). Each resample draws the artists (class-aware, as
    :func:`bootstrap_intervals`; seeds on the same test images share the
    draw, since the same artists' luck touches them all) and then the
    seeds with replacement; its value is the mean, over the drawn seeds,
    of A − B on the drawn artists. Resampling both ways is the two-way
    ("pigeonhole") bootstrap of Owen (2007, Annals of Applied Statistics
    1, 386–411) where the seeds share the test images, and the two-stage
    bootstrap of hierarchical data where each seed has its own split
    (Davison & Hinkley, 1997, ch. 3); both err on the wide side. With one
    seed it is :func:`paired_bootstrap`.

    One row per metric: ``difference`` (the mean over seeds), ``sd`` (its
    spread over seeds, NaN for one seed), ``low``, ``high`` and
    ``p_value`` (as in :func:`paired_bootstrap`), ``seeds`` and ``test``,
    so that :func:`reading` reads it.
    """
    metrics = _check_metrics(metrics)
    _check_confidence(confidence)
    if not len(per_seed):
        raise ValueError("paired_over_seeds needs at least one seed")
    values, draws = _seed_draws(per_seed, metrics, resamples, seed)
    n_seeds = len(per_seed)
    if n_seeds > 1:
        rng = np.random.default_rng(np.random.SeedSequence([seed, 2**31]))
        picks = _counts(
            rng.integers(0, n_seeds, (resamples, n_seeds)), n_seeds
        )
    else:
        picks = np.ones((resamples, 1), dtype=int)
    clustered = any(entry[3] is not None for entry in per_seed)
    rows = {}
    for j, m in enumerate(metrics):
        mean = float(values[:, j].mean())
        resampled = (picks * draws[m]).sum(axis=1) / n_seeds
        low, high = _interval(resampled, mean, confidence)
        rows[m] = {
            "difference": mean,
            "sd": float(values[:, j].std(ddof=1))
            if n_seeds > 1
            else np.nan,
            "low": low,
            "high": high,
            "p_value": _p_value(mean, resampled),
            "seeds": n_seeds,
            "test": "paired bootstrap over seeds and "
            + ("clusters" if clustered else "images"),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis(
        "metric"
    )


def compare_over_seeds(
    runs_a: Sequence,
    runs_b: Sequence,
    artists: Mapping[str, str] | None,
    *,
    metrics: Sequence[str] = METRICS,
    resamples: int = RESAMPLES,
    confidence: float = 0.95,
    seed: int = SEED,
) -> pd.DataFrame:
    """Model A against model B (or a baseline) over seeds, on the test
    images: :func:`paired_over_seeds` of training runs.

    ``runs_a``: A's runs, one per seed (e.g.
    ``training.runs.runs_over_seeds``); ``runs_b``: B's runs on the same
    splits, or B's test predictions per seed (a baseline's, e.g.
    ``metrics.majority_predictions`` of each seed's training labels).
    ``artists`` maps an artwork ID to its artist
    (``datasets.pipeline.artist_map(folder)``); ``None`` resamples
    images.
    """
    if len(runs_a) != len(runs_b) or not len(runs_a):
        raise ValueError(
            f"{len(runs_a)} run(s) of A and {len(runs_b)} of B: give one "
            "of each per seed"
        )
    per_seed = []
    for s, (a, b) in enumerate(zip(runs_a, runs_b)):
        ids = [str(i) for i in a.test_ids]
        if hasattr(b, "test_ids"):
            if [str(i) for i in b.test_ids] != ids:
                raise ValueError(
                    f"seed {s}: the runs were scored on different test "
                    "images; train both on the same split per seed"
                )
            pred_b = b.test_pred
        else:
            pred_b = np.asarray(b).ravel()
            if pred_b.size != len(ids):
                raise ValueError(
                    f"seed {s}: {pred_b.size} predictions of B for "
                    f"{len(ids)} test images of A"
                )
        groups = None
        if artists is not None:
            missing = [i for i in ids if i not in artists]
            if missing:
                raise ValueError(
                    f"seed {s}: no artist for test artwork(s) "
                    f"{missing[:3]} (artists from pipeline.artist_map)"
                )
            groups = np.array([artists[i] for i in ids], dtype=object)
        per_seed.append((a.test_true, a.test_pred, pred_b, groups))
    return paired_over_seeds(
        per_seed,
        metrics=metrics,
        resamples=resamples,
        confidence=confidence,
        seed=seed,
    )
