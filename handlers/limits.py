"""Per-recipient send limits shared by the channel senders (aiolimiter leaky buckets)."""

from __future__ import annotations

from collections import OrderedDict

from aiolimiter import AsyncLimiter


class ChatLimits:
    """One leaky bucket per chat: up to `burst` messages at once, then one every `interval`
    seconds. One message of the burst is kept in reserve: requests leave paced but arrive
    with network jitter, and the server counts arrivals. Least recently used chats are
    forgotten beyond `keep` (a forgotten chat starts full)."""

    def __init__(self, burst: int, interval: float, keep: int = 5000) -> None:
        self.burst, self.interval, self.keep = burst, interval, keep
        self._chats: OrderedDict[str, AsyncLimiter] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.burst > 0 and self.interval > 0

    def __getitem__(self, chat_id: str) -> AsyncLimiter:
        burst = max(1, self.burst - 1)
        lim = self._chats.pop(chat_id, None) or AsyncLimiter(burst, burst * self.interval)
        self._chats[chat_id] = lim
        while len(self._chats) > self.keep:
            self._chats.popitem(last=False)
        return lim
