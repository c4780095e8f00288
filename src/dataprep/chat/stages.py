"""Registers the chat stages (importing this module is cheap: polars and pydantic only)."""

from dataprep.chat.clean import CleanMessages
from dataprep.chat.read import ReadChat
from dataprep.chat.roles import AssignRoles
from dataprep.chat.samples import BuildSamples
from dataprep.chat.sessions import Sessionize

__all__ = ["AssignRoles", "BuildSamples", "CleanMessages", "ReadChat", "Sessionize"]
