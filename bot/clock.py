"""Time as an object: the real clock in production, a controllable one in tests and the demo.

Nothing in the project calls `datetime.now()` directly; it asks the clock it was given.
"""

from __future__ import annotations

import time as _time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that moves only when told (tests)."""

    def __init__(self, start: datetime) -> None:
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self._now += delta if delta is not None else timedelta(**kwargs)
        return self._now


class FastClock:
    """Simulated time that runs `speed` times faster than the wall clock (the demo)."""

    def __init__(self, start: datetime, speed: float) -> None:
        self._start = start.astimezone(UTC)
        self._t0 = _time.monotonic()
        self.speed = speed
        self._jump = timedelta(0)

    def now(self) -> datetime:
        elapsed = (_time.monotonic() - self._t0) * self.speed
        return self._start + self._jump + timedelta(seconds=elapsed)

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self._jump += delta if delta is not None else timedelta(**kwargs)
        return self.now()

    def set(self, when: datetime) -> None:
        self._jump += when.astimezone(UTC) - self.now()
