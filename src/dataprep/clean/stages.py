"""Registers every stage of the clean family (imported by ``dataprep.registry``)."""

from __future__ import annotations

from dataprep.clean import dedupe, scrub

__all__ = ["dedupe", "scrub"]
