"""Layer 7 of 8: numbers about runs and labels, returned as data, never drawn (docs/architecture.md).

``metrics`` (classifier scores and baselines), ``uncertainty`` (bootstrap intervals over artists, paired tests,
repeats over seeds, per-class numbers marked where too few images), ``scores`` (regression and multi-label),
``study`` (the study's reported numbers beside ours), ``subjectivity`` (agreement, calibration, groups),
``retrieval`` (finding art by emotion), ``saliency`` (Grad-CAM, occlusion), ``errors`` (the mistakes and where
they fall) and ``reference``/``reference_file`` (the reference results of one run, and their file). The ``plots``
layer draws what these return.
"""
