"""Stages that make conversation data safe to train on: dedupe, PII scrubbing, splits.

Importing this package is cheap; numpy, datasketch, presidio and spaCy load inside the
stages' ``setup()``. ``dataprep.clean.stages`` registers every stage of the family.
"""
