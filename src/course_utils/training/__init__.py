"""Layer 6 of 8: training, saving and loading runs, on one device or several (docs/architecture.md).

``runs`` (train as the study did, save every run, ``train_or_load``), ``heads`` (regression and multi-label
outputs), ``transfer`` (a pretrained backbone), ``tuning`` (keras-tuner search), ``throughput`` (training
speed), ``strategies`` and ``distributed`` (``tf.distribute``) and ``processes`` (local clusters).
"""
