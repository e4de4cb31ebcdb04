"""Helper package of the Emotions in Art course: data, labels, models, training, analysis and figures.

Its layers, what each module holds and where each kind of change goes: docs/architecture.md. Import what you
need from its module (``from course_utils.datasets.session import class_folders``); importing the package itself
loads nothing heavy.
"""

import os as _os

__version__ = "0.1.0"

# TensorFlow uses its oneDNN CPU kernels by default only on CPUs with AVX-512 VNNI or AMX; on other x86 CPUs
# (AVX2, e.g. most laptops and AMD servers) they train the course's CNNs about twice as fast as its fallback
# kernels (benchmarks/README.md, "Training throughput"). Read once, when TensorFlow is first imported, so it is
# set here, before any module imports TensorFlow; an explicit TF_ENABLE_ONEDNN_OPTS (e.g. 0) wins.
_os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
# TensorFlow's C++ start-up notices (INFO: oneDNN, CPU instructions, no CUDA driver) would open every chapter;
# level 1 drops INFO only, warnings and errors still show. Also read once, at TensorFlow's import; an explicit
# TF_CPP_MIN_LOG_LEVEL wins.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
