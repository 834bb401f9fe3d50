"""Refusals the core answers in Bahasa Indonesia (the message is for the person)."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or an action out of order: the message goes back to the person, and the
    transaction rolls back so nothing half-done is kept."""


class Stale(UserError):
    """A button or command that no longer fits the round's state."""
