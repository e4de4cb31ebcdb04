"""Helper package of the Emotions in Art course.

Modules are named for what they hold: ``settings`` (runtime settings, device, seed, banner),
``schema`` (the archive's file and column names), ``labels`` (quadrants and classes),
``sample`` (the offline sample dataset), ``annotations`` (reading the TSV files),
``archive`` and ``download`` (fetching the real data), ``images`` (validating and resizing),
``prepare`` (class folders), ``data`` (one call that gives a chapter its data),
``coverage`` (how many artworks per class have an image; warnings where a number rests on too few),
``pipeline`` (tf.data), ``models``, ``training``, ``evaluation``, ``plots``, ``tuning``,
``exercises``, ``cli``, ``throughput`` (speed measurements) and ``distribute`` (several devices).
Import what you need from its module; nothing heavy happens at import.
"""

import os as _os

__version__ = "0.1.0"

# TensorFlow uses its oneDNN CPU kernels by default only on CPUs with AVX-512 VNNI or AMX; on other x86 CPUs
# (AVX2, e.g. most laptops and AMD servers) they train the course's CNNs about twice as fast as its fallback
# kernels (benchmarks/README.md, "Training throughput"). Read once, when TensorFlow is first imported, so it is
# set here, before any module imports TensorFlow; an explicit TF_ENABLE_ONEDNN_OPTS (e.g. 0) wins.
_os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
