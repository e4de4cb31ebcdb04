"""Layer 7 of 8: numbers about runs and labels, returned as data, never drawn (docs/architecture.md).

``metrics`` (classifier scores and baselines), ``scores`` (regression and multi-label), ``study`` (the study's
reported numbers beside ours), ``subjectivity`` (agreement, calibration, groups) and ``retrieval`` (finding art
by emotion). The ``plots`` layer draws what these return.
"""
