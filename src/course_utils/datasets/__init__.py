"""Layer 4 of 8: from files to what a chapter trains on (docs/architecture.md).

``source`` (real data or the sample, and where its files lie), ``session`` (the frozen :class:`Session` a chapter
passes on; ``ensure_source``, ``class_folders``), ``sample`` (the offline sample dataset), ``localserver`` (a
stand-in for the archive's and WikiArt's hosts), ``prepare`` (one folder per class), ``pipeline`` (the study's
split, in memory, as ``tf.data``) and ``coverage`` (how many images a number rests on). It imports ``config``,
``data`` and ``labels``.
"""
