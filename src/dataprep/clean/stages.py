"""Registers every stage of the clean family (imported by ``dataprep.registry``)."""

from __future__ import annotations

from dataprep.clean import conversations, decontaminate, dedupe, scrub, split

__all__ = ["conversations", "decontaminate", "dedupe", "scrub", "split"]
