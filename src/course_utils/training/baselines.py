"""Baselines that learn: a logistic regression on fixed features of each image, as a :class:`Run`.

The features are computed once per image and never trained: the colour statistics of
:mod:`course_utils.models.colour` (:func:`colour_baseline`), or a frozen network's embedding
(:mod:`course_utils.training.probe`). :func:`fit_logistic` standardises them on the training part, fits
scikit-learn's multinomial logistic regression for each strength ``C`` of :data:`C_GRID` and keeps the one with
the best validation macro-F1 (the smaller ``C`` on a tie), so validation chooses and test scores, as for the
CNNs. :func:`linear_run` returns the predictions as a :class:`~course_utils.training.runs.Run` (the logits are
the regression's class scores, whose softmax is its probabilities), so ``analysis.metrics.metrics_table``,
``analysis.uncertainty`` and ``analysis.errors`` treat it like a CNN. Nothing is saved: a fit takes seconds.
"""

from __future__ import annotations

import time
import warnings
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from course_utils.datasets.pipeline import Split
from course_utils.datasets.session import Session
from course_utils.models import colour
from course_utils.training.runs import Run

#: The regularisation strengths tried (scikit-learn's ``C``: smaller is
#: stronger), chosen by validation macro-F1.
C_GRID = (0.001, 0.01, 0.1, 1.0, 10.0, 100.0)

#: Iterations the solver may take before a fit counts as not converged.
MAX_ITER = 2000

#: The score of a class absent from the training part: its probability is
#: 0 to float precision, and no arithmetic on it gives NaN (as -inf would).
ABSENT = -1.0e4

#: The parts of a split that are predicted, in this order.
PARTS = ("train", "val", "test")


def check_class_weight(class_weight) -> object:
    """``None``, ``"balanced"`` or a ``{class index: weight}`` dictionary
    (what ``training.imbalance.balanced_class_weights`` gives)."""
    if class_weight is None or class_weight == "balanced":
        return class_weight
    if isinstance(class_weight, Mapping):
        bad = {
            k: w
            for k, w in class_weight.items()
            if not (float(w) > 0 and np.isfinite(float(w)))
        }
        if bad:
            raise ValueError(
                f"class_weight {bad}: weights must be positive"
            )
        return {int(k): float(w) for k, w in class_weight.items()}
    raise ValueError(
        f"class_weight={class_weight!r}: use None, 'balanced' or a "
        "{class index: weight} dictionary"
    )


def check_features(
    features: Mapping[str, np.ndarray], split: Split
) -> dict:
    """The features of every part as float arrays, or an error naming the
    part and what is wrong (rows against labels, width, missing values)."""
    out, width = {}, None
    for part in PARTS:
        labels = getattr(split, f"y_{part}", None)
        if labels is None:
            continue
        if part not in features:
            raise ValueError(
                f"no features for the {part!r} part of the split"
            )
        values = np.asarray(features[part], dtype=float)
        if values.ndim != 2 or len(values) != len(labels):
            raise ValueError(
                f"features[{part!r}] of shape {values.shape}: expected one "
                f"row per image, ({len(labels)}, features)"
            )
        if width is not None and values.shape[1] != width:
            raise ValueError(
                f"features[{part!r}] has {values.shape[1]} columns, the "
                f"training part {width}"
            )
        width = values.shape[1]
        bad = ~np.isfinite(values)
        if bad.any():
            row, col = map(int, np.argwhere(bad)[0])
            raise ValueError(
                f"features[{part!r}] holds {int(bad.sum())} missing or "
                f"infinite value(s), first in row {row}, column {col}"
            )
        out[part] = values
    return out


def logits(model, features: np.ndarray, n_classes: int) -> np.ndarray:
    """A fitted regression's class scores for every class of the split
    (``n``, ``n_classes``): a class it never saw gets :data:`ABSENT`."""
    scores = model.decision_function(features)
    if scores.ndim == 1:  # two classes: one score, for the second
        scores = np.stack([np.zeros_like(scores), scores], axis=1)
    out = np.full((len(features), n_classes), ABSENT, dtype=np.float32)
    out[:, model.classes_.astype(int)] = scores
    return out


def _pipeline(c: float, class_weight, seed: int):
    """Standardisation (fitted on training) then a logistic regression."""
    from sklearn.linear_model import LogisticRegression  # deferred: slow
    from sklearn.pipeline import make_pipeline  # deferred: as above
    from sklearn.preprocessing import StandardScaler  # deferred: as above

    return make_pipeline(
        StandardScaler(),
        LogisticRegression(
            C=c,
            class_weight=class_weight,
            max_iter=MAX_ITER,
            random_state=seed,
        ),
    )


def one_blas_thread():
    """A context in which NumPy and SciPy use one BLAS thread: the fits are
    small, and on a busy two-core machine competing BLAS threads made
    each one fifty times slower (measured: 1.5 s against 0.03 s)."""
    from threadpoolctl import threadpool_limits  # deferred: with sklearn

    return threadpool_limits(1, user_api="blas")


def _fit(pipeline, x, y) -> bool:
    """Fit the pipeline; whether the solver converged (its warning becomes
    this answer, shown in the search table, not printed)."""
    from sklearn.exceptions import ConvergenceWarning  # deferred: slow

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        pipeline.fit(x, y)
    for w in caught:
        if not issubclass(w.category, ConvergenceWarning):
            warnings.warn_explicit(
                w.message, w.category, w.filename, w.lineno
            )
    return not any(
        issubclass(w.category, ConvergenceWarning) for w in caught
    )


def _try(c: float, x_train, y_train, x_val, y_val, class_weight, seed):
    """One strength fitted on training and scored on validation: the model
    and its row of the search table."""
    from sklearn.metrics import f1_score  # deferred: slow import

    model = _pipeline(c, class_weight, seed)
    converged = _fit(model, x_train, y_train)
    val_pred = model.predict(x_val)
    row = {
        "C": c,
        "train accuracy": float((model.predict(x_train) == y_train).mean()),
        "val accuracy": float((val_pred == y_val).mean()),
        "val macro-F1": float(
            f1_score(y_val, val_pred, average="macro", zero_division=0)
        ),
        "converged": converged,
    }
    return model, row


def fit_logistic(
    x_train,
    y_train,
    x_val,
    y_val,
    *,
    seed: int,
    class_weight=None,
    c_grid: Sequence[float] = C_GRID,
) -> tuple[object, pd.DataFrame]:
    """The standardised logistic regression with the ``C`` of best validation
    macro-F1 (the smaller ``C`` on a tie), and the search: one row per ``C``
    with its scores."""
    class_weight = check_class_weight(class_weight)
    y_train, y_val = np.asarray(y_train, int), np.asarray(y_val, int)
    present = np.unique(y_train)
    if len(present) < 2:
        raise ValueError(
            f"the training part holds {len(present)} class(es) "
            f"{present.tolist()}: a classifier needs at least two"
        )
    if not len(c_grid) or min(c_grid) <= 0:
        raise ValueError(f"c_grid {list(c_grid)}: give positive strengths")
    rows, best = [], None
    with one_blas_thread():
        for c in sorted(float(c) for c in c_grid):
            model, row = _try(
                c, x_train, y_train, x_val, y_val, class_weight, seed
            )
            if not rows or row["val macro-F1"] > max(
                r["val macro-F1"] for r in rows
            ):
                best = model
            rows.append(row)
    search = pd.DataFrame(rows)
    search["chosen"] = search["C"] == best[-1].C
    return best, search


def linear_run(
    name: str,
    features: Mapping[str, np.ndarray],
    split: Split,
    session: Session,
    *,
    class_weight=None,
    c_grid: Sequence[float] = C_GRID,
    tag: str | None = None,
    info: Mapping | None = None,
    seconds: float = 0.0,
) -> Run:
    """A logistic regression on per-image features (``{"train": …, "val":
    …, "test": …}``, rows in the split's order) as a :class:`Run` with
    validation and test predictions; its history is the search over ``C``.
    ``seconds`` adds the time the features took."""
    start = time.perf_counter()
    parts = check_features(features, split)
    model, search = fit_logistic(
        parts["train"],
        split.y_train,
        parts["val"],
        split.y_val,
        seed=session.seed,
        class_weight=class_weight,
        c_grid=c_grid,
    )
    k = len(split.class_names)
    has_test = "test" in parts
    regression = model[-1]
    with one_blas_thread():
        val_logits = logits(model, parts["val"], k)
        test_logits = (
            logits(model, parts["test"], k)
            if has_test
            else np.zeros(0, dtype=np.float32)
        )
    return Run(
        name=name,
        history=search,
        seconds=seconds + time.perf_counter() - start,
        epochs=0,
        params=int(regression.coef_.size + regression.intercept_.size),
        class_names=list(split.class_names),
        val_true=np.asarray(split.y_val),
        val_logits=val_logits,
        val_ids=list(split.val_ids),
        info={
            "profile": session.profile,
            "seed": session.seed,
            "tag": tag or name,
            "C": float(regression.C),
            "class_weight": class_weight is not None,
            "features": int(parts["train"].shape[1]),
            "train_images": int(len(split.y_train)),
            "val_images": int(len(split.y_val)),
            "test_images": int(len(split.y_test)) if has_test else 0,
            **(info or {}),
        },
        model=model,
        test_true=np.asarray(split.y_test) if has_test else np.zeros(0),
        test_logits=test_logits,
        test_ids=list(split.test_ids) if has_test else [],
    )


def split_colour_features(split: Split) -> dict[str, np.ndarray]:
    """The colour features of every part of the split (its training,
    validation and, where it has one, test images)."""
    return {
        part: colour.colour_features(getattr(split, f"x_{part}"))
        for part in PARTS
        if getattr(split, f"x_{part}", None) is not None
    }


def colour_baseline(
    split: Split,
    session: Session,
    *,
    class_weight=None,
    c_grid: Sequence[float] = C_GRID,
) -> Run:
    """The colour-statistics baseline: a logistic regression on each
    image's hue, saturation and brightness statistics
    (:data:`course_utils.models.colour.FEATURES`), as a :class:`Run`."""
    start = time.perf_counter()
    features = split_colour_features(split)
    return linear_run(
        "colour",
        features,
        split,
        session,
        class_weight=class_weight,
        c_grid=c_grid,
        tag="colour statistics"
        + (" (class weights)" if class_weight else ""),
        info={"feature names": list(colour.FEATURES)},
        seconds=time.perf_counter() - start,
    )
