"""The study's constants, named once: every default of the package that repeats the study reads them here.

The values are the student study's choices (docs/architecture.md, "Where the facts come from"): its seed, the
125 × 125 images, the 40 % share that makes an emotion present, the 80/20 split and its seven classes.
"""

from __future__ import annotations

#: The seed of the study's split and of every chapter (COURSE_SEED overrides it per run).
SEED = 123
#: Images are resized to IMAGE_SIZE × IMAGE_SIZE RGB.
IMAGE_SIZE = 125
#: The input shape of every model.
INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 3)
#: An emotion is present when at least this share of annotators chose it.
THRESHOLD = 0.4
#: The share of the labelled images held out for validation.
VALIDATION_SPLIT = 0.2
#: The study's seven classes (four quadrants, with Melancholy merged into combinations).
NUM_CLASSES = 7
#: The study's five architectures, in the order the chapters build them.
MODEL_NAMES = ("original", "dropout", "lenet5", "lenet5_relu", "alexnet")
#: Artworks in the official WikiArt Emotions archive (WikiArt-Emotions-All.tsv).
OFFICIAL_ROWS = 4105
#: The class the study reports with only 11 artworks. From chapter 10 on the
#: artist-grouped split leaves it out: about two of its works would reach a
#: test part, too few to score, and it needs works by three artists at least.
RARE_CLASS = "Aggressive + Euphoric + Calm"
