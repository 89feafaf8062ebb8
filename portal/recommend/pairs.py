"""Storage of the recommender's model: growable arrays, ragged rows and the job-pair hash table.

Plain numpy containers with no knowledge of clicks or scoring (that is
:mod:`portal.recommend.engine`): each unordered job pair gets a dense pair id through an
open-addressing hash table held in numpy arrays (about 35 bytes a pair, no Python object per
pair), and each job keeps a growable array of the pair ids it takes part in, so a job's
neighbours are one slice.
"""

from __future__ import annotations

from array import array
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
AnyArray = npt.NDArray[Any]

# The low half of a pair key (``lo << 32 | hi``): the larger job index.
LOW32 = np.int64(0xFFFFFFFF)
M64 = (1 << 64) - 1
_GOLDEN_INT = 0x9E3779B97F4A7C15
_GOLDEN = np.uint64(_GOLDEN_INT)
# Slots probed per round of a batched hash-table probe.
_WINDOW = np.arange(8, dtype=np.int64)
# Up to this many keys, probing the hash table one key at a time in Python beats the batched
# numpy probe, whose dozen or so calls cost microseconds each even on tiny arrays.
_SCALAR_KEYS = 512


class Vec:
    """A growable one-dimensional numpy array."""

    __slots__ = ("data", "size")

    def __init__(self, dtype: Any, capacity: int = 16) -> None:
        self.data: AnyArray = np.zeros(max(capacity, 1), dtype=dtype)
        self.size = 0

    def reserve(self, total: int) -> None:
        if total > self.data.shape[0]:
            grown = np.zeros(max(total, self.data.shape[0] * 2), dtype=self.data.dtype)
            grown[: self.size] = self.data[: self.size]
            self.data = grown

    def append(self, value: Any) -> None:
        self.reserve(self.size + 1)
        self.data[self.size] = value
        self.size += 1

    def extend(self, values: AnyArray) -> None:
        self.reserve(self.size + values.shape[0])
        self.data[self.size : self.size + values.shape[0]] = values
        self.size += values.shape[0]

    @property
    def view(self) -> AnyArray:
        return self.data[: self.size]


class Rows:
    """A ragged matrix: one growable ``array.array`` per dense index (4 or 8 bytes an element,
    and a C-level append, which is what a click's per-neighbour bookkeeping needs)."""

    __slots__ = ("arrays", "dtype", "typecode")

    def __init__(self, dtype: Any) -> None:
        self.dtype = np.dtype(dtype)
        self.typecode = {np.dtype(np.int32): "i", np.dtype(np.float64): "d"}[self.dtype]
        self.arrays: list[array[Any]] = []

    def add_row(self) -> None:
        self.arrays.append(array(self.typecode))

    def row(self, r: int) -> AnyArray:
        """A copy of the row (a view would pin the buffer and forbid appends while it lives)."""
        return np.array(self.arrays[r], dtype=self.dtype)

    def extend(self, r: int, values: AnyArray) -> None:
        self.arrays[r].frombytes(values.astype(self.dtype).tobytes())

    def remove_at(self, r: int, position: int) -> None:
        """Remove one element by moving the last one into its place (order is not kept)."""
        row = self.arrays[r]
        last = row.pop()
        if position < len(row):
            row[position] = last

    @classmethod
    def from_groups(cls, dtype: Any, owners: IntArray, values: AnyArray, rows: int) -> Rows:
        """Rows holding ``values`` grouped by ``owners`` (stable: original order within a row)."""
        result = cls(dtype)
        order = np.argsort(owners, kind="stable")
        sizes = np.bincount(owners, minlength=rows)
        flat = values[order].astype(result.dtype)
        for part in np.split(flat, np.cumsum(sizes)[:-1]):
            row = array(result.typecode)
            row.frombytes(part.tobytes())
            result.arrays.append(row)
        return result

    def nbytes(self) -> int:
        return sum(row.buffer_info()[1] * row.itemsize + 64 for row in self.arrays) + 8 * len(
            self.arrays
        )


class PairStore:
    """Unordered job pairs ``lo << 32 | hi`` → dense pair ids and their co-occurrence values.

    Open addressing with linear probing over an int32 table of pair ids (load ≤ 1/2), probed for
    a whole batch of keys at once so one click costs a handful of numpy calls.
    """

    __slots__ = ("_mask", "_shift", "_table", "keys", "values")

    def __init__(self, value_dtype: Any) -> None:
        self.keys = Vec(np.int64)
        self.values = Vec(value_dtype)
        self._allocate(256)

    @property
    def size(self) -> int:
        return self.keys.size

    def _allocate(self, slots: int) -> None:
        self._table: npt.NDArray[np.int32] = np.full(slots, -1, dtype=np.int32)
        self._mask = np.int64(slots - 1)
        self._shift = np.uint64(64 - (slots.bit_length() - 1))

    def _slots(self, keys: IntArray) -> IntArray:
        mixed = keys.view(np.uint64) * _GOLDEN  # wraps modulo 2**64, as intended
        return (mixed >> self._shift).astype(np.int64)

    def lookup(self, keys: IntArray) -> IntArray:
        """Pair ids of ``keys``, -1 where absent."""
        found = np.full(keys.shape[0], -1, dtype=np.int64)
        pending = np.arange(keys.shape[0])
        wanted = keys
        starts = self._slots(keys)
        stored = self.keys.data
        while pending.shape[0]:
            # Probe a window of slots per key at once: most keys end within the first window.
            pids = self._table[(starts[:, None] + _WINDOW) & self._mask].astype(np.int64)
            empty = pids < 0
            # An empty slot reads pid -1, i.e. the last element of the buffer: masked out.
            hit = ~empty & (stored[pids] == wanted[:, None])
            stop = hit | empty
            first = stop.argmax(axis=1)
            rows = np.arange(first.shape[0])
            done = stop[rows, first]
            is_hit = done & hit[rows, first]
            found[pending[is_hit]] = pids[rows[is_hit], first[is_hit]]
            going = ~done
            pending, wanted = pending[going], wanted[going]
            starts = (starts[going] + _WINDOW.shape[0]) & self._mask
        return found

    def insert(self, keys: IntArray) -> IntArray:
        """Give new pair ids to ``keys`` (distinct and absent); their values start at zero."""
        first = self.keys.size
        count = keys.shape[0]
        pids = np.arange(first, first + count, dtype=np.int64)
        if 2 * (first + count) > self._table.shape[0]:
            slots = self._table.shape[0]
            while 2 * (first + count) > slots:
                slots *= 2
            self._allocate(slots)
            self._place_in_empty(
                np.concatenate([self.keys.view, keys]), np.arange(first + count, dtype=np.int64)
            )
        elif first == 0:
            self._place_in_empty(keys, pids)
        else:
            self._place(keys, pids)
        self.keys.extend(keys)
        self.values.reserve(first + count)
        self.values.data[first : first + count] = 0
        self.values.size = first + count
        return pids

    def _place_in_empty(self, keys: IntArray, pids: IntArray) -> None:
        """Fill an empty table in one pass: in order of home slot, each key takes the first
        slot at or after its home that the keys before it left free (what probing would do)."""
        homes = self._slots(keys)
        order = np.argsort(homes, kind="stable")
        ranks = np.arange(order.shape[0])
        positions = np.maximum.accumulate(homes[order] - ranks) + ranks
        fits = positions < self._table.shape[0]
        self._table[positions[fits]] = pids[order[fits]]
        wrapped = order[~fits]  # ran past the end: they probe on from slot 0
        if wrapped.shape[0]:
            self._place(keys[wrapped], pids[wrapped])

    def _place(self, keys: IntArray, pids: IntArray) -> None:
        starts = self._slots(keys)
        pending = np.arange(keys.shape[0])
        while pending.shape[0]:
            window = (starts[:, None] + _WINDOW) & self._mask
            empty = self._table[window] < 0
            first = empty.argmax(axis=1)
            rows = np.arange(first.shape[0])
            found = empty[rows, first]
            targets = window[rows, first]
            # Two new keys may pick the same free slot: the first one takes it, the other one
            # probes on from the slot after it.
            unique_targets, winner = np.unique(targets[found], return_index=True)
            winners = np.flatnonzero(found)[winner]
            self._table[unique_targets] = pids[pending[winners]]
            placed = np.zeros(rows.shape[0], dtype=bool)
            placed[winners] = True
            going = ~placed
            starts = np.where(found, targets + 1, starts + _WINDOW.shape[0])[going] & self._mask
            pending = pending[going]

    def find_or_insert(self, keys: list[int]) -> tuple[list[int], list[int]]:
        """Pair ids of distinct ``keys``, giving the missing ones new ids (values at zero),
        and the positions in ``keys`` of those that were missing.

        The same linear probing as :meth:`lookup` and :meth:`insert`, one key at a time: what
        a click brings (one key per job in the user's history) is too few to batch.
        """
        size = self.keys.size
        if len(keys) > _SCALAR_KEYS or 2 * (size + len(keys)) > self._table.shape[0]:
            return self._find_or_insert_batched(keys)
        self.keys.reserve(size + len(keys))
        self.values.reserve(size + len(keys))
        table, stored, values = self._table, self.keys.data, self.values.data
        mask, shift = int(self._mask), int(self._shift)
        pids: list[int] = []
        added: list[int] = []
        for position, key in enumerate(keys):
            slot = ((key * _GOLDEN_INT) & M64) >> shift
            while True:
                pid = int(table[slot])
                if pid < 0:
                    pid = size
                    size += 1
                    table[slot] = pid
                    stored[pid] = key
                    values[pid] = 0
                    added.append(position)
                    break
                if stored[pid] == key:
                    break
                slot = (slot + 1) & mask
            pids.append(pid)
        self.keys.size = self.values.size = size
        return pids, added

    def _find_or_insert_batched(self, keys: list[int]) -> tuple[list[int], list[int]]:
        array_keys = np.array(keys, dtype=np.int64)
        pids = self.lookup(array_keys)
        missing = np.flatnonzero(pids < 0)
        if missing.shape[0]:
            pids[missing] = self.insert(array_keys[missing])
        return pids.tolist(), missing.tolist()

    def nbytes(self) -> int:
        return self.keys.data.nbytes + self.values.data.nbytes + self._table.nbytes


def pair_key(a: int, b: int) -> int:
    """The key of the unordered pair of dense job indices ``a`` and ``b``."""
    lo, hi = (a, b) if a < b else (b, a)
    return (lo << 32) | hi
