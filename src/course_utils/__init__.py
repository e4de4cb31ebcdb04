"""Helper package of the Emotions in Art course.

Modules are named for what they hold: ``settings`` (runtime settings, device, seed, banner),
``schema`` (the archive's file and column names), ``labels`` (quadrants and classes),
``sample`` (the offline sample dataset), ``annotations`` (reading the TSV files),
``archive`` and ``download`` (fetching the real data), ``images`` (validating and resizing),
``prepare`` (class folders), ``data`` (one call that gives a chapter its data),
``pipeline`` (tf.data), ``models``, ``training``, ``evaluation``, ``plots``, ``tuning``,
``exercises`` and ``cli``. Import what you need from its module; nothing heavy happens at import.
"""

__version__ = "0.1.0"
