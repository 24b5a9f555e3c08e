"""An insertion-ordered collection that can be sliced by position cheaply: what a page of an index needs.

Keys are added with a rising sequence number and kept in blocks of at most ``BLOCK`` (parallel lists of
sequence numbers and keys). Removing finds the block by bisection; a slice walks the block sizes to its
start (n / BLOCK steps) and copies the keys it covers. Empty blocks are dropped, and the blocks are
rebuilt when removals have left them less than half full on average.
"""
from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from itertools import islice
from typing import Any, Callable, Iterator

BLOCK = 1024


class OrderedIndex:
    """Keys in the order of their sequence numbers (added in rising order)."""

    __slots__ = ("_seqs", "_keys", "_firsts", "_len")

    def __init__(self) -> None:
        self._seqs: list[list[int]] = []
        self._keys: list[list[Any]] = []
        self._firsts: list[int] = []  # a lower bound of each block's sequence numbers, above the block before
        self._len = 0

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[Any]:
        for keys in self._keys:
            yield from keys

    def append(self, seq: int, key: Any) -> None:
        """Add ``key`` last; ``seq`` must be above every sequence number added before."""
        self._len += 1
        if self._seqs:
            last = self._seqs[-1]
            if len(last) < BLOCK:
                last.append(seq)
                self._keys[-1].append(key)
                return
        self._seqs.append([seq])
        self._keys.append([key])
        self._firsts.append(seq)

    def remove(self, seq: int) -> bool:
        block = bisect_right(self._firsts, seq) - 1
        if block < 0:
            return False
        seqs = self._seqs[block]
        position = bisect_left(seqs, seq)
        if position == len(seqs) or seqs[position] != seq:
            return False
        del seqs[position]
        del self._keys[block][position]
        self._len -= 1
        if not seqs:
            del self._seqs[block], self._keys[block], self._firsts[block]
        elif len(self._seqs) > 8 + 2 * self._len // BLOCK:
            self._rebuild()
        return True

    def rank(self, seq: int) -> int:
        """How many keys have a sequence number below ``seq``."""
        block = bisect_right(self._firsts, seq) - 1
        if block < 0:
            return 0
        return sum(len(seqs) for seqs in islice(self._seqs, block)) + bisect_left(self._seqs[block], seq)

    def slice(self, start: int, stop: int) -> list[Any]:
        """The keys at positions start..stop-1 (clipped to the index, as a list slice is)."""
        start, stop = max(start, 0), min(stop, self._len)
        result: list[Any] = []
        if start >= stop:
            return result
        offset = 0
        for keys in self._keys:
            size = len(keys)
            if offset + size > start:
                result.extend(keys[max(start - offset, 0):stop - offset])
                if offset + size >= stop:
                    break
            offset += size
        return result

    def _rebuild(self) -> None:
        seqs = [seq for block in self._seqs for seq in block]
        keys = [key for block in self._keys for key in block]
        self._seqs = [seqs[start:start + BLOCK] for start in range(0, len(seqs), BLOCK)]
        self._keys = [keys[start:start + BLOCK] for start in range(0, len(keys), BLOCK)]
        self._firsts = [block[0] for block in self._seqs]


class IndexView:
    """The keys of an index from position ``start`` on, as a read-only sequence (len and slices) for paging."""

    __slots__ = ("_index", "_start")

    def __init__(self, index: OrderedIndex, start: int = 0) -> None:
        self._index = index
        self._start = start

    def __len__(self) -> int:
        return max(len(self._index) - self._start, 0)

    def __getitem__(self, item: slice) -> list[Any]:
        if not isinstance(item, slice) or item.step not in (None, 1):
            raise TypeError("an IndexView takes slices only")
        length = len(self)
        start, stop, _step = item.indices(length)
        return self._index.slice(self._start + start, self._start + stop)


class MergedView:
    """The keys of two indexes from positions ``starts`` on, merged in the order of their sequence numbers
    (``seq_of``), as a read-only sequence for paging: a page's start is found by bisection, not by merging."""

    __slots__ = ("_first", "_second", "_seq_of", "_starts")

    def __init__(self, first: OrderedIndex, second: OrderedIndex, seq_of: Callable[[Any], int], starts: tuple[int, int] = (0, 0)) -> None:
        self._first = first
        self._second = second
        self._seq_of = seq_of
        self._starts = starts

    def __len__(self) -> int:
        return max(len(self._first) - self._starts[0], 0) + max(len(self._second) - self._starts[1], 0)

    def _at(self, index: OrderedIndex, position: int) -> int:
        return self._seq_of(index.slice(position, position + 1)[0])

    def _split(self, count: int) -> tuple[int, int]:
        """How many of the first ``count`` merged keys come from each index (as absolute positions)."""
        first_start, second_start = self._starts
        first_len, second_len = len(self._first) - first_start, len(self._second) - second_start
        low, high = max(0, count - second_len), min(count, first_len)
        while low < high:  # the first i with first[i] after second[count - i - 1]
            middle = (low + high) // 2
            if self._at(self._first, first_start + middle) < self._at(self._second, second_start + count - middle - 1):
                low = middle + 1
            else:
                high = middle
        return first_start + low, second_start + count - low

    def __getitem__(self, item: slice) -> list[Any]:
        if not isinstance(item, slice) or item.step not in (None, 1):
            raise TypeError("a MergedView takes slices only")
        start, stop, _step = item.indices(len(self))
        if start >= stop:
            return []
        first, second = self._split(start)
        size = stop - start
        merged = heapq.merge(self._first.slice(first, first + size), self._second.slice(second, second + size), key=self._seq_of)
        return list(islice(merged, size))
