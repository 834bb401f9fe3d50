"""The test harness is the project's office simulation (bot/tools/simulation.py), so tests, the
demo and the benchmarks drive the bot the same way."""

from bot.tools.simulation import GROUP_ID, User, tick
from bot.tools.simulation import Simulation as Harness

__all__ = ["GROUP_ID", "Harness", "User", "tick"]
