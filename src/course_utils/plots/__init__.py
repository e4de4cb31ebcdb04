"""Layer 8 of 8: the only layer that draws (docs/architecture.md).

``style`` (the course's figure style and its check), ``figures`` (figures any chapter may need), and one module
of figures per topic: ``label_plots``, ``metric_plots``, ``subjectivity_plots``, ``tuning_plots``,
``throughput_plots``, ``retrieval_plots``, ``saliency_plots``, ``error_plots``, ``ceiling_plots`` and ``concept_plots``
(pictures of the ideas). Every figure has a title and labelled axes.
"""
