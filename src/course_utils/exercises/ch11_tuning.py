"""Exercises of chapter 11, "Tuning with keras-tuner"."""

from __future__ import annotations

import keras_tuner as kt
import numpy as np

from course_utils.analysis import metrics
from course_utils.exercises import Exercise, Wrong, check_number
from course_utils.exercises.build_it import BuildIt, Mistake, label_pairs
from course_utils.labels import CLASS_NAMES

#: The chapter's search space, for the solution that counts its random starts (the tests run it first).
SOLUTION_SETUP = (
    "from course_utils.training import tuning\n"
    "hypermodel = tuning.CNNHyperModel((125, 125, 3), 6)\n"
)
#: Hyperparameters in the chapter's search space and trials in the colleague's search.
HYPERPARAMETERS, TRIALS = 8, 20


def _check_objective(answer: object) -> None:
    """A keras-tuner objective that maximises balanced accuracy on the validation images."""
    if isinstance(answer, str):
        raise Wrong(
            "keras-tuner cannot infer whether a custom metric should go up or down from its name alone: "
            "wrap it as kt.Objective(name, direction=...)."
        )
    if not isinstance(answer, kt.Objective):
        raise Wrong(
            f"Expected a kt.Objective, but got {type(answer).__name__}."
        )
    if answer.name == "balanced_accuracy":
        raise Wrong(
            "That is measured on the training images, which the model has seen; Keras names the "
            "validation version with a `val_` prefix."
        )
    if answer.name != "val_balanced_accuracy":
        raise Wrong(
            f"The metric {answer.name!r} is not the one asked for: the model reports balanced accuracy "
            "as `balanced_accuracy` (and `val_balanced_accuracy` on the validation images)."
        )
    if answer.direction != "max":
        raise Wrong(
            f"direction={answer.direction!r} would search for the worst model: higher balanced accuracy "
            "is better."
        )


def _check_epochs(answer: object) -> None:
    """Epochs trained by a search of 20 trials × 5 epochs, each trial run twice."""
    check_number(
        answer,
        20 * 5 * 2,
        "a number of epochs",
        whole=True,
        mistakes={
            100: "100 counts each trial once; executions_per_trial=2 trains "
            "every trial twice.",
            40: "40 counts trials × executions but forgets that each training "
            "runs 5 epochs.",
            10: "10 is 5 × 2, for one trial; there are 20 trials.",
        },
        otherwise="{value} is not it: multiply trials, epochs per training "
        "and executions per trial.",
    )


def _check_steps(answer: object) -> None:
    """Bayesian steps in 20 trials when keras-tuner starts with 3 random trials per hyperparameter."""
    starts = max(3 * HYPERPARAMETERS, 3)
    check_number(
        answer,
        max(TRIALS - starts, 0),
        "a number of trials",
        whole=True,
        mistakes=[
            (
                TRIALS - HYPERPARAMETERS,
                "That is one random start per hyperparameter; keras-tuner's "
                "default is three per hyperparameter.",
            ),
            (
                TRIALS - 10,
                "10 random starts is this chapter's INITIAL_POINTS; the "
                "colleague kept keras-tuner's default.",
            ),
            (
                TRIALS - 3,
                "3 is only the least number of random starts; the default is "
                "three per hyperparameter.",
            ),
            (
                TRIALS,
                "The Gaussian process proposes a trial only after the random "
                "starts are done.",
            ),
            (
                TRIALS - starts,
                f"A search cannot take fewer than no steps: {starts} random "
                f"starts use up all {TRIALS} trials.",
            ),
        ],
        otherwise="{value} is not it: count keras-tuner's default random "
        "starts (tuning.default_initial_points) and take them from 20.",
    )


EXERCISES = {
    "ex-11-1": Exercise(
        "objective",
        "a keras_tuner.Objective",
        _check_objective,
        "Look at `course_utils.training.tuning.OBJECTIVE` and change the metric's name.",
        "import keras_tuner as kt\n"
        "\n"
        'objective = kt.Objective("val_balanced_accuracy", direction="max")',
        why="Keras names the validation metric with a `val_` prefix, and "
        "keras-tuner needs to be told that higher is better.",
    ),
    "ex-11-2": Exercise(
        "epochs_trained",
        "a whole number",
        _check_epochs,
        "Every trial trains `executions_per_trial` models for `epochs` epochs each.",
        "epochs_trained = 20 * 5 * 2  # 200",
        why="20 trials, each trained twice (executions_per_trial=2) for 5 "
        "epochs: 20 × 2 × 5 = 200.",
    ),
    "ex-11-4": Exercise(
        "bayesian_steps",
        "a whole number",
        _check_steps,
        "`tuning.default_initial_points(hypermodel)` gives keras-tuner's "
        "default random starts; `tuning.start_plan` splits the trials.",
        "from course_utils.training import tuning\n"
        "\n"
        "starts = tuning.default_initial_points(hypermodel)  # 3 × 8 = 24\n"
        'bayesian_steps = tuning.start_plan(20, starts)["Bayesian steps"]\n'
        "# 0: the 24 random starts use up all 20 trials",
        why="The 8 hyperparameters give 24 random starts by default, more "
        "than the 20 trials: the search was a random search.",
    ),
}

#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS = {
    "ex-11-1": [
        ("val_balanced_accuracy", "cannot infer"),
        (kt.Objective("balanced_accuracy", "max"), "training"),
        (kt.Objective("val_balanced_accuracy", "min"), "worst model"),
        (kt.Objective("val_accuracy", "max"), "not the one asked for"),
        (0.5, "Expected a kt.Objective"),
    ],
    "ex-11-2": [
        (100, "executions_per_trial"),
        (40, "5 epochs"),
        (10, "20 trials"),
        (150, "not it"),
        (200.5, "not a whole number"),
    ],
    "ex-11-4": [
        (12, "one random start"),
        (10, "INITIAL_POINTS"),
        (17, "least number"),
        (20, "only after the random starts"),
        (-4, "fewer than no steps"),
        (5, "not it"),
        (0.5, "not a whole number"),
    ],
}


# --- build it: macro-F1, the search's objective (ex-11-5) --------------------------------------------------------


def _f1_per_class(
    y_true, y_pred, classes, harmonic: bool = True
) -> np.ndarray:
    """F1 of each of ``classes`` (0 where it has no hits); ``harmonic=False`` takes the plain mean of precision
    and recall instead."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    scores = []
    for c in classes:
        hits = np.sum((y_true == c) & (y_pred == c))
        if hits == 0:
            scores.append(0.0)
            continue
        precision, recall = (
            hits / np.sum(y_pred == c),
            hits / np.sum(y_true == c),
        )
        mean = (
            2 * precision * recall / (precision + recall)
            if harmonic
            else (precision + recall) / 2
        )
        scores.append(mean)
    return np.array(scores)


MACRO_F1 = BuildIt(
    name="macro_f1",
    what="a function macro_f1(y_true, y_pred) that returns a number",
    reference=lambda y_true, y_pred: metrics.scores(
        y_true, y_pred, CLASS_NAMES
    )["macro-F1"],
    package='metrics.scores(...)["macro-F1"]',
    cases=label_pairs,
    mistakes=[
        Mistake(
            lambda y_true, y_pred: float(
                np.mean(np.asarray(y_true) == np.asarray(y_pred))
            ),
            "That is the micro-averaged F1, which equals the accuracy. Macro-F1 computes F1 "
            "for each class and averages them, so every class counts the same.",
        ),
        Mistake(
            lambda y_true, y_pred: float(
                np.mean(_f1_per_class(y_true, y_pred, np.unique(y_true)))
            ),
            "A class that is predicted but has no images counts too (with F1 0, as its "
            "predictions are all wrong): average over the classes in y_true or y_pred.",
        ),
        Mistake(
            lambda y_true, y_pred: float(
                np.mean(
                    _f1_per_class(
                        y_true,
                        y_pred,
                        np.union1d(y_true, y_pred),
                        harmonic=False,
                    )
                )
            ),
            "That averages precision and recall plainly; F1 is their harmonic mean, "
            "2 · precision · recall / (precision + recall), which punishes a low one.",
        ),
    ],
)

EXERCISES["ex-11-5"] = Exercise(
    "macro_f1",
    MACRO_F1.what,
    MACRO_F1,
    "For each class c in np.union1d(y_true, y_pred): F1 = 2 · hits / "
    "(images of c + predictions of c), where hits counts images of c "
    "predicted as c. Average the F1 of those classes.",
    "import numpy as np\n"
    "\n"
    "\n"
    "def macro_f1(y_true, y_pred):\n"
    "    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)\n"
    "    f1 = []\n"
    "    for c in np.union1d(y_true, y_pred):  # every class seen\n"
    "        hits = np.sum((y_true == c) & (y_pred == c))\n"
    "        seen = np.sum(y_true == c) + np.sum(y_pred == c)\n"
    "        f1.append(2 * hits / seen)\n"
    "    return float(np.mean(f1))",
    why="F1 = 2 · hits / (images + predictions of the class) is the "
    "harmonic mean of precision and recall, and every class seen in the "
    "labels or the predictions counts once, as scikit-learn and the "
    "search's MacroF1 metric count it.",
)

WRONG_ANSWERS["ex-11-5"] = [
    ("macro", "define it with `def`"),
    (
        lambda y_true, y_pred, classes: 0.5,
        "cannot be called with 2 argument(s)",
    ),
    (lambda y_true, y_pred: 1.0, "gives 1, but the package's"),
]
