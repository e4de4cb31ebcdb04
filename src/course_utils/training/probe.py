"""A linear probe (chapter 16): a logistic regression on a frozen pretrained network's embedding of each image.

Every image is embedded once by the backbone of :mod:`course_utils.training.transfer` (its pooled features,
without its classifier), in inference mode; :func:`course_utils.training.baselines.linear_run` then fits the
same standardised, validation-chosen logistic regression as the colour baseline. The probe asks what the
pretrained features already know about the mood, with nothing fine-tuned.

The weights come from :func:`course_utils.training.transfer.choose_weights`, as for transfer learning:
ImageNet's where Keras can download them (or has them cached), otherwise, and always in the ``smoke`` profile,
RANDOM weights. A probe on random weights is labelled so (:attr:`Probe.label`: "random-weights probe …, not a
pretrained one"), its note is printed, and ``require_pretrained=True`` refuses it instead. The embeddings are
saved under the runs folder, keyed like a run (the backbone's architecture, the weights, the split, source,
profile and seed), so a second call reads them back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from course_utils.config.device import seed_everything
from course_utils.data.files import atomic_path
from course_utils.datasets.pipeline import Split
from course_utils.datasets.session import Session
from course_utils.training import transfer
from course_utils.training.baselines import C_GRID, PARTS, linear_run
from course_utils.training.runs import Run, run_folder, run_key

#: Images embedded per batch.
BATCH = 64


@dataclass
class Probe:
    """A linear probe's run and the weights its backbone had."""

    run: Run
    choice: transfer.WeightChoice
    backbone: str

    @property
    def pretrained(self) -> bool:
        """Whether the backbone had ImageNet weights (not random ones)."""
        return self.choice.weights == "imagenet"

    @property
    def label(self) -> str:
        """What the probe is, for tables: a random-weights probe says so."""
        if self.pretrained:
            return f"linear probe on ImageNet {self.backbone}"
        return (
            f"random-weights probe ({self.backbone}), not a pretrained one"
        )


def embed(net, images: np.ndarray, batch_size: int = BATCH) -> np.ndarray:
    """The network's output for every image (uint8 RGB, as the CNNs take
    them), in inference mode, as float32 rows."""
    if not len(images):
        return np.zeros((0, int(net.output_shape[-1])), dtype=np.float32)
    out = net.predict(images, batch_size=batch_size, verbose=0)
    return np.asarray(out, dtype=np.float32)


def embedding_tag(name: str, choice: transfer.WeightChoice) -> str:
    """The tag under which a backbone's embeddings are saved."""
    return f"probe-{name}-{choice.label}"


def embeddings_file(
    net, name: str, choice, split: Split, session: Session
) -> Path:
    """Where the embeddings of this backbone, weights and split are saved
    (keyed by :func:`~course_utils.training.runs.run_key`)."""
    tag = embedding_tag(name, choice)
    key = run_key(
        lambda: net, split, session, tag=tag, weights=choice.label
    )
    return run_folder(tag, session, key) / "embeddings.npz"


def split_embeddings(
    split: Split,
    session: Session,
    name: str,
    choice: transfer.WeightChoice,
) -> tuple[dict[str, np.ndarray], bool]:
    """The frozen backbone's embedding of every part of the split, read
    from the saved file when there is one; and whether it was read."""
    seed_everything(session.seed)  # random weights repeat with the seed
    net = transfer.backbone(name, split.x_train.shape[1:], choice.weights)
    net.trainable = False
    file = embeddings_file(net, name, choice, split, session)
    parts = [p for p in PARTS if getattr(split, f"x_{p}", None) is not None]
    if file.is_file():
        with np.load(file) as saved:
            if all(
                saved[f"{p}_ids"].tolist()
                == list(getattr(split, f"{p}_ids"))
                for p in parts
            ):
                return {p: saved[p] for p in parts}, True
    out = {p: embed(net, getattr(split, f"x_{p}")) for p in parts}
    ids = {
        f"{p}_ids": np.array(getattr(split, f"{p}_ids"), dtype=str)
        for p in parts
    }
    with atomic_path(file) as tmp:
        with open(tmp, "wb") as f:  # np.savez would add .npz to the name
            np.savez_compressed(f, **out, **ids)
    return out, False


def linear_probe(
    split: Split,
    session: Session,
    name: str = "mobilenetv3small",
    *,
    choice: transfer.WeightChoice | None = None,
    require_pretrained: bool = False,
    class_weight=None,
    c_grid: Sequence[float] = C_GRID,
    verbose: bool = True,
) -> Probe:
    """A logistic regression on the frozen backbone's embedding of each
    image, with validation and test predictions as a :class:`Run`.

    Without ImageNet weights the probe runs on random ones and says so
    (printed, and in :attr:`Probe.label`); ``require_pretrained=True``
    raises instead."""
    input_shape = split.x_train.shape[1:]
    choice = choice or transfer.choose_weights(name, session, input_shape)
    if choice.weights is None and require_pretrained:
        raise RuntimeError(
            f"no pretrained weights for the linear probe: {choice.note}"
        )
    start = time.perf_counter()
    features, reused = split_embeddings(split, session, name, choice)
    seconds = time.perf_counter() - start
    probe_tag = embedding_tag(name, choice)
    run = linear_run(
        "probe",
        features,
        split,
        session,
        class_weight=class_weight,
        c_grid=c_grid,
        tag=probe_tag + ("-class-weights" if class_weight else ""),
        info={
            "backbone": name,
            "weights": choice.label,
            "weights note": choice.note,
            "embeddings": "read from the saved file"
            if reused
            else "computed",
            "embedding seconds": seconds,
        },
        seconds=seconds,
    )
    probe = Probe(run, choice, name)
    if verbose:
        print(f"{probe.label}: {choice.note}")
        print(
            f"embeddings of {features['train'].shape[1]} features "
            f"{run.info['embeddings']} ({seconds:.1f} s); C = "
            f"{run.info['C']:g} chosen on validation"
        )
    return probe
