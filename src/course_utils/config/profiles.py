"""What each profile may spend, in one table: sample size, epochs, search trials, repeats and cell time limits.

``smoke`` keeps every chapter to seconds (the tests), ``quick`` to minutes on a laptop CPU, and ``full`` runs the
study's settings on a GPU. Chapters read their budget from the session (``session.budget``), never from a table
of their own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Mapping

from course_utils.config.study import MODEL_NAMES, OFFICIAL_ROWS

PROFILES = ("smoke", "quick", "full")


@dataclass(frozen=True)
class Budget:
    """One profile's budget; every number a chapter scales with the profile lives here."""

    #: artworks in the offline sample (``full``: as many as the real archive)
    sample_size: int
    #: how strongly the sample's pictures show their hidden mood (``datasets.sample.painted_points``: 1 paints
    #: the mood itself, less mixes in an unrelated one, more exaggerates it); why each value: benchmarks/README.md
    sample_signal: float
    #: epochs per study model; models not named train for ``epochs["default"]``
    epochs: Mapping[str, int]
    #: transfer learning: epochs with the backbone frozen, then fine-tuning
    transfer_epochs: tuple[int, int]
    #: keras-tuner: trials and epochs per trial
    trials: int
    trial_epochs: int
    #: how many training seeds a headline comparison (``analysis.uncertainty.compare_over_seeds``) and chapter
    #: 10's split gap repeat over (smoke: one, to keep the suite fast; quick and full: at least three), and
    #: which models chapter 10 repeats
    seeds: int
    repeated_models: tuple[str, ...]
    #: chapter 18: matrix size for the peak rate, timed steps, repeats, epochs of the multi-device run
    timing: Mapping[str, int] = field(default_factory=dict)
    #: the ceiling on one notebook cell when the book executes a chapter: a cell whose kernel is computing may
    #: run this long (a slow or busy laptop too); a stalled cell fails long before (course_utils.runner)
    cell_timeout_s: int = 1800

    def epochs_for(self, name: str) -> int:
        """Epochs for one of the study's models (or any other name: the default)."""
        return self.epochs.get(name, self.epochs["default"])


BUDGETS: Mapping[str, Budget] = MappingProxyType(
    {
        "smoke": Budget(
            sample_size=240,
            sample_signal=3.0,
            epochs={"original": 4, "lenet5": 6, "default": 4},
            transfer_epochs=(1, 1),
            trials=2,
            trial_epochs=1,
            seeds=1,
            repeated_models=("original",),
            timing={"n": 1024, "steps": 2, "repeats": 1, "epochs": 1},
            cell_timeout_s=1800,
        ),
        "quick": Budget(
            sample_size=1200,
            sample_signal=0.75,
            epochs={"original": 6, "default": 8},
            transfer_epochs=(3, 3),
            trials=8,
            trial_epochs=4,
            seeds=3,
            repeated_models=("original", "lenet5"),
            timing={"n": 4096, "steps": 20, "repeats": 3, "epochs": 2},
            cell_timeout_s=3600,
        ),
        "full": Budget(
            sample_size=OFFICIAL_ROWS,
            sample_signal=0.75,
            epochs={"original": 10, "default": 15},
            transfer_epochs=(10, 5),
            trials=30,
            trial_epochs=10,
            seeds=5,
            repeated_models=MODEL_NAMES,
            timing={"n": 4096, "steps": 50, "repeats": 3, "epochs": 2},
            cell_timeout_s=6 * 3600,
        ),
    }
)


def budget(profile: str) -> Budget:
    """The budget of ``profile``, with an error naming the profiles there are."""
    try:
        return BUDGETS[profile]
    except KeyError:
        raise ValueError(
            f"profile {profile!r} is unknown; use one of: {', '.join(PROFILES)}"
        ) from None


def budget_table() -> dict[str, dict]:
    """Every profile's budget as plain dictionaries (a chapter shows it as a table)."""
    return {name: asdict(b) for name, b in BUDGETS.items()}
