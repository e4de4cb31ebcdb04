"""Exercises of chapter 07, "LeNet-5"."""

from __future__ import annotations

import math

import numpy as np

from course_utils.exercises import Exercise
from course_utils.exercises.build_it import BuildIt, Case, Mistake
from course_utils.exercises.counting import number_checker
from course_utils.models import architecture

DENSE1 = 31 * 31 * 16 * 128 + 128  # 1,968,256
SLOPE_AT_2 = 1 - math.tanh(2) ** 2  # 0.0707

EXERCISES = {
    "ex-07-1": Exercise(
        "dense1_params",
        "a whole number (the first dense layer's parameters)",
        number_checker(
            "the first dense layer's parameter count",
            DENSE1,
            {
                DENSE1
                - 128: "Add the biases: one for each of the 128 units.",
                31
                * 31
                * 16: "15,376 is the number of inputs (the flatten size); each connects to 128 units.",
                1_843_328: "That is the original CNN's dense layer (15×15×64 inputs); LeNet-5 flattens 31×31×16.",
                62 * 62 * 16 * 128
                + 128: "There are two average-pooling layers: 125 → 62 → 31.",
            },
            "{value} is not it: flatten size (31×31×16) × 128 units, plus 128 biases.",
            whole=True,
        ),
        "Follow the shapes: 125 → (pool) 62 → (pool) 31, with 16 maps; a dense layer has inputs × units + units.",
        "dense1_params = 31 * 31 * 16 * 128 + 128  # 1,968,256",
        why="Two poolings leave 31 × 31 × 16 = 15,376 inputs, each connected "
        "to 128 units, plus 128 biases.",
    ),
    "ex-07-2": Exercise(
        "tanh_slope",
        "a number (the slope of tanh at 2)",
        number_checker(
            "the slope of tanh at x = 2",
            SLOPE_AT_2,
            {
                math.tanh(
                    2
                ): "0.964 is tanh(2) itself; the slope is 1 − tanh(2)².",
                math.tanh(2)
                ** 2: "That is tanh(2)²; the slope is one minus it.",
                1.0: "A slope of 1 is ReLU's for every positive input; tanh flattens out.",
            },
            "{value} is not it: the derivative of tanh is 1 − tanh(x)².",
        ),
        "The derivative of tanh(x) is 1 − tanh(x)²; `math.tanh` or `numpy.tanh` computes tanh.",
        "import math\n"
        "\n"
        "tanh_slope = 1 - math.tanh(2) ** 2  # 0.0707: 1/14 of it at 0",
        why="tanh(2) ≈ 0.964, so the slope is 1 − 0.929 ≈ 0.071: a gradient "
        "passing there keeps a fourteenth of its size.",
    ),
}

#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS = {
    "ex-07-1": [
        (DENSE1 - 128, "biases"),
        (15_376, "flatten size"),
        (1_843_328, "original CNN"),
        (62 * 62 * 16 * 128 + 128, "two average-pooling"),
        (1.97e6, "Close, but 1,970,000"),
        (1968256.5, "not a whole number"),
    ],
    "ex-07-2": [
        (0.964, "tanh(2) itself"),
        (0.9293, "one minus"),
        (1, "ReLU"),
        (0.075, "Close — give more digits"),
        (7.07, "not it"),
    ],
}


# --- build it: average pooling by hand (ex-07-4) ----------------------------------------------------------------


def _grids(rng: np.random.Generator) -> list[Case]:
    """A 2 × 2 grid and grids of odd height and width first (the last row and column fill no block), then 16
    random grids of 2 to 9 rows and columns with whole numbers 0…9, as in the chapter."""
    shapes = [(2, 2), (5, 7), (3, 3)] + [
        tuple(int(s) for s in rng.integers(2, 10, size=2))
        for _ in range(16)
    ]
    notes = [
        "one block",
        "odd height and width",
        "3 × 3: one block and a row and column left over",
    ]
    cases = []
    for k, shape in enumerate(shapes):
        grid = rng.integers(0, 10, size=shape).astype(float)
        cases.append(Case((grid,), notes[k] if k < len(notes) else ""))
    return cases


def _blocks(
    grid: np.ndarray, reduce, keep_partial: bool = False
) -> np.ndarray:
    """Each 2 × 2 block of the grid reduced by ``reduce``; ``keep_partial`` also reduces the blocks that stick
    out over an odd edge (what padding='same' would do)."""
    grid = np.asarray(grid, dtype=float)
    rows, cols = grid.shape
    if keep_partial:
        rows, cols = rows + rows % 2, cols + cols % 2
    return np.array(
        [
            [
                reduce(grid[i : i + 2, j : j + 2])
                for j in range(0, cols - 1, 2)
            ]
            for i in range(0, rows - 1, 2)
        ]
    ).reshape(rows // 2, cols // 2)


AVERAGE_POOL = BuildIt(
    name="average_pool",
    what="a function average_pool(grid) that returns the 2 × 2 average pooling of a 2-D array",
    reference=lambda grid: architecture.pool(grid, "average"),
    package='architecture.pool(grid, "average")',
    cases=_grids,
    mistakes=[
        Mistake(
            lambda grid: _blocks(grid, np.max),
            "That keeps the largest value of each block (max pooling); LeNet-5 pools by the "
            "average, the mean of the four values.",
        ),
        Mistake(
            lambda grid: _blocks(grid, np.sum),
            "That is the sum of each block: divide by the 4 values it holds.",
        ),
        Mistake(
            lambda grid: _blocks(grid, np.mean, keep_partial=True),
            "A row or column that fills no whole block is dropped (Keras pools with "
            "padding='valid'): a 5 × 7 grid gives 2 × 3 values, not 3 × 4.",
        ),
    ],
)

EXERCISES["ex-07-4"] = Exercise(
    "average_pool",
    AVERAGE_POOL.what,
    AVERAGE_POOL,
    "Cut the grid to an even number of rows and columns "
    "(grid[: rows // 2 * 2, : cols // 2 * 2]), reshape it to "
    "(rows // 2, 2, cols // 2, 2) and take the mean over axes 1 and 3; or "
    "loop over the blocks.",
    "import numpy as np\n"
    "\n"
    "\n"
    "def average_pool(grid):\n"
    "    grid = np.asarray(grid, dtype=float)\n"
    "    rows, cols = grid.shape[0] // 2, grid.shape[1] // 2\n"
    "    # drop an odd last row or column, then average each 2 × 2 block\n"
    "    blocks = grid[: 2 * rows, : 2 * cols].reshape(rows, 2, cols, 2)\n"
    "    return blocks.mean(axis=(1, 3))",
    why="Each output is the mean of one 2 × 2 block, and a row or column "
    "that fills no block is dropped, as Keras's AveragePooling2D does with "
    "its default padding='valid'.",
)

WRONG_ANSWERS["ex-07-4"] = [
    (np.zeros((2, 2)), "define it with `def`"),
    (lambda grid, size: grid, "cannot be called with 1 argument(s)"),
    (lambda grid: grid[::2, ::2], "gives an array of shape"),
]
