"""Layer 2 of 8: the official WikiArt Emotions archive as files, fetched and checked (docs/architecture.md).

``schema`` (the archive's file and column names), ``annotations`` (reading its tab-separated files),
``fetch`` (polite HTTP), ``archive`` (the zip, checked and extracted), ``download`` (the archive and every
image), ``images`` (validating and resizing) and ``files`` (atomic writes); ``emotions.csv`` holds the emotions'
quadrants and valence–arousal coordinates. It imports only ``config``.
"""
