"""The original study's reported numbers, as its report gives them, and plain-words readings of our runs.

Chapters 05–09 print the study's numbers as the study's (WikiArt, its own split and hardware) and this run's as
this run's (its data source, profile and seed), never mixing the two; the readings are computed from the run, so
the prose stays true whatever data the chapter runs on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from course_utils.analysis.metrics import study_rmse
from course_utils.models.cnns import STUDY_PARAMS, TITLES

#: The study's validation RMSE over class indices, per model (its metric; chapter 10 shows why it misleads).
REPORTED_RMSE = {
    "original": 1.98,
    "dropout": 1.92,
    "lenet5": 1.75,
    "lenet5_relu": 1.81,
    "alexnet": 1.81,
}


#: The study's validation accuracy stayed in this range for all five models.
REPORTED_VAL_ACCURACY = "0.47–0.50"


#: Training accuracy after the last epoch (original CNN only): from the study's code as the course's
#: specification records it; the report itself says only that training accuracy was very high.
REPORTED_TRAIN_ACCURACY = {"original": 0.93}


#: The study's epochs (the ``full`` profile): 10 for the original CNN from the report, 15 for the others from
#: the study's code as the course's specification records it.
REPORTED_EPOCHS = {
    "original": 10,
    "dropout": 15,
    "lenet5": 15,
    "lenet5_relu": 15,
    "alexnet": 15,
}


def majority_share(labels) -> float:
    """The share of the most frequent class: the accuracy of always giving that one answer."""
    labels = np.asarray(labels, dtype=int)
    if labels.size == 0:
        raise ValueError(
            "majority_share needs at least one label; got an empty array"
        )
    return float(np.bincount(labels).max() / labels.size)


def run_scores(run) -> dict[str, float]:
    """A run's last-epoch training accuracy, its validation accuracy and the study's RMSE on its predictions."""
    return {
        "training accuracy (last epoch)": float(
            run.history["accuracy"].iloc[-1]
        ),
        "validation accuracy": float(np.mean(run.val_pred == run.val_true)),
        "study RMSE (class indices)": study_rmse(
            run.val_true, run.val_pred
        ),
        "majority-class share (validation)": majority_share(run.val_true),
    }


def comparison(run, source) -> pd.DataFrame:
    """This run's numbers beside the study's reported ones, one row each, with the data each comes from."""
    name = run.name
    ours = {
        "data": f"{source.name} ({'offline sample' if source.is_sample else 'WikiArt Emotions'})",
        "epochs": run.epochs,
        **{k: round(v, 3) for k, v in run_scores(run).items()},
        "parameters": run.params,
    }
    theirs = {
        "data": "WikiArt Emotions (the study's split)",
        "epochs": REPORTED_EPOCHS.get(name, "?"),
        "training accuracy (last epoch)": REPORTED_TRAIN_ACCURACY.get(
            name, "not reported"
        ),
        "validation accuracy": REPORTED_VAL_ACCURACY,
        "study RMSE (class indices)": REPORTED_RMSE.get(
            name, "not reported"
        ),
        "majority-class share (validation)": "about 0.5 (Euphoric)",
        "parameters": STUDY_PARAMS.get(name, "?"),
    }
    table = pd.DataFrame(
        {"this run": ours, "the study (report and code)": theirs}
    ).T
    table.index.name = TITLES.get(name, name)
    return table


#: Two numbers closer than this (an accuracy, a gap, a loss) are read as about the same: about one image's
#: worth of accuracy on the 40 validation images of the sample's study split.
CLOSE = 0.03


@dataclass(frozen=True)
class CurveReading:
    """A run's last-epoch accuracies, its train–validation gap, the epoch of lowest validation loss and what
    they say in words (``verdict``): the numbers a chapter glues into its prose."""

    epochs: int
    training_accuracy: float
    validation_accuracy: float
    gap: float
    best_epoch: int
    verdict: str

    def __str__(self) -> str:
        return (
            f"After {self.epochs} epochs, training accuracy is {self.training_accuracy:.3f} and validation "
            f"accuracy {self.validation_accuracy:.3f} (a gap of {self.gap:+.3f}). {self.verdict}"
        )


def curve_facts(history: pd.DataFrame) -> CurveReading:
    """The curves' numbers and their reading as data, so that a chapter's prose can quote each one."""
    last = history.iloc[-1]
    gap = (
        round(float(last["accuracy"] - last["val_accuracy"]), 3) + 0.0
    )  # + 0.0: no "-0.000"
    best = int(history.loc[history["val_loss"].idxmin(), "epoch"])
    epochs = int(last["epoch"])
    if best < epochs and gap > 0.05:
        lines = [
            f"Validation loss was lowest after epoch {best} and higher afterwards while training accuracy "
            "is above validation accuracy: the model learns its training images better than it "
            "generalises — it overfits."
        ]
    elif best < epochs:
        lines = [
            f"Validation loss was lowest after epoch {best} and higher afterwards, but training accuracy "
            "is not clearly above validation accuracy: this looks more like noise than overfitting."
        ]
    else:
        lines = [
            "Validation loss is still at its lowest in the last epoch: this run shows no overfitting yet, "
            "and more epochs might still help."
        ]
    if gap > 0.15:
        lines.append(
            "A gap this large means the model memorises its training images."
        )
    if epochs <= 2:
        lines.append(
            f"With only {epochs} epochs, read any trend as tentative."
        )
    return CurveReading(
        epochs=epochs,
        training_accuracy=float(last["accuracy"]),
        validation_accuracy=float(last["val_accuracy"]),
        gap=gap,
        best_epoch=best,
        verdict=" ".join(lines),
    )


def curve_reading(history: pd.DataFrame) -> str:
    """The curves in words: the gap between training and validation, and the epoch where validation loss bottomed."""
    return str(curve_facts(history))


@dataclass(frozen=True)
class BaselineReading:
    """Validation accuracy against the majority-class share, with the data it comes from and the verdict in
    words (``beats`` / ``barely differs from`` / ``falls below``): the numbers a chapter glues into its prose."""

    data: str
    accuracy: float
    share: float
    majority: str
    margin: float
    verdict: str
    images: int
    rmse: float

    def __str__(self) -> str:
        return (
            f"On {self.data}, validation accuracy {self.accuracy:.3f} {self.verdict} the {self.share:.3f} a "
            f"model would get by always answering {self.majority!r}, the most frequent validation class "
            f"({self.margin:+.3f}); the study's RMSE on these predictions is {self.rmse:.2f}."
        )


def data_words(source) -> str:
    """The data a run's numbers come from, in words, so that sample numbers never read as WikiArt results."""
    return (
        "the offline sample (not WikiArt)"
        if source.is_sample
        else "WikiArt Emotions"
    )


def compared(before: float, after: float) -> str:
    """How ``after`` reads next to ``before`` ("smaller than" / "about the same as" / "larger than"): a
    difference under :data:`CLOSE` is no difference to read into."""
    difference = round(after - before, 3)  # as the prose shows it
    if abs(difference) < CLOSE:
        return "about the same as"
    return "larger than" if difference > 0 else "smaller than"


def baseline_facts(run, source) -> BaselineReading:
    """Validation accuracy against always answering the most frequent class, as data a chapter's prose quotes."""
    scores = run_scores(run)
    accuracy, share = (
        scores["validation accuracy"],
        scores["majority-class share (validation)"],
    )
    majority = run.class_names[
        int(np.bincount(np.asarray(run.val_true, dtype=int)).argmax())
    ]
    data = data_words(source)
    margin = round(accuracy - share, 3) + 0.0
    verdict = {
        "about the same as": "barely differs from",
        "larger than": "beats",
        "smaller than": "falls below",
    }[compared(share, accuracy)]
    return BaselineReading(
        data=data,
        accuracy=accuracy,
        share=share,
        majority=str(majority),
        margin=margin,
        verdict=verdict,
        images=len(run.val_true),
        rmse=scores["study RMSE (class indices)"],
    )


def baseline_reading(run, source) -> str:
    """Validation accuracy against always answering the most frequent class, said with the data it comes from."""
    return str(baseline_facts(run, source))
