"""Answers kept for queries asked again: the served graph never changes while the server runs, so the
same query text asked with the same Accept has the same answer, and a repeated light query need not
cross to a worker at all.  Bounded by total bytes (least recently used first out); time-outs and
failures are never kept.  A client that sends `Cache-Control: no-cache` gets a fresh evaluation."""

from __future__ import annotations

import hashlib
from collections import OrderedDict

CACHEABLE = (200, 400, 403, 406)     # answers that depend on the query text alone


class AnswerCache:
    def __init__(self, max_bytes: int = 32_000_000, max_item: int = 1_000_000):
        self.max_bytes, self.max_item = max_bytes, max_item
        self._items: OrderedDict[tuple, object] = OrderedDict()
        self._size = 0
        self.hits = 0

    @staticmethod
    def key(text: str, accept: str | None) -> tuple:
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest(), accept or ""

    def get(self, key: tuple):
        answer = self._items.get(key)
        if answer is not None:
            self._items.move_to_end(key)
            self.hits += 1
        return answer

    def put(self, key: tuple, answer) -> None:
        if answer.status not in CACHEABLE or len(answer.body) > self.max_item or key in self._items:
            return
        self._items[key] = answer
        self._size += len(answer.body)
        while self._size > self.max_bytes:
            _, old = self._items.popitem(last=False)
            self._size -= len(old.body)
