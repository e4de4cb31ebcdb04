"""Layer 5 of 8: the study's networks and how to look inside them (docs/architecture.md).

``cnns`` (the five CNNs: ``build``, ``NAMES``, ``TITLES``, ``STUDY_PARAMS``) and ``architecture`` (parameters
per layer, layer outputs, augmentation, pooling, gradient sizes). Nothing here trains a model.
"""
