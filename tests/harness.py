"""The test harness is the project's office simulation (bot/simulation.py), so tests, the
demo and the benchmarks drive the bot the same way."""

from bot.simulation import GROUP_ID, User, tick
from bot.simulation import Simulation as Harness

__all__ = ["GROUP_ID", "Harness", "User", "tick"]
