"""Layer 1 of 8, the lowest: what a run is set to, read once (docs/architecture.md).

``settings`` (the four ``COURSE_*`` environment variables, validated), ``device`` (the device, seeding),
``study`` (the study's constants, each named once), ``profiles`` (what each profile may spend) and ``paths``
(how a folder is printed). It imports no other course_utils layer.
"""
