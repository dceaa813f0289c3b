"""The random source of the program generator: a recorded sequence of choices.

Every decision the generator makes is one `draw(n)`, an int in [0, n). A fresh source
draws from a seeded `random.Random` and records what it drew; a replayed source reads a
recorded list back, taking a value v >= n as v % n and anything past the end as 0. The
generator is valid by construction for *any* sequence, and choice 0 is always the
simplest option (close the block, the constant 0, ...), so a failing program is reduced
by editing its sequence (shorter, smaller values) and generating again: the reducer
never has to know wasm's typing rules (the approach of Hypothesis and of MacIver and
Donaldson's "test-case reduction via test-case generation").
"""

from __future__ import annotations

import random


class Choices:
    __slots__ = ("rng", "values", "pos")

    def __init__(self, seed: int | None = None, values: list[int] | None = None):
        self.rng = random.Random(seed) if values is None else None
        self.values: list[int] = [] if values is None else list(values)
        self.pos = 0

    def draw(self, n: int) -> int:
        """An int in [0, n) (n >= 1)."""
        if n <= 1:
            return 0
        if self.rng is not None:
            v = self.rng.randrange(n)
            self.values.append(v)
            return v
        pos = self.pos
        self.pos = pos + 1
        if pos >= len(self.values):
            return 0
        v = self.values[pos]
        return v if v < n else v % n

    def bits(self, width: int) -> int:
        """A uniformly random `width`-bit pattern (drawn 16 bits at a time, so that the
        reducer shrinks it piece by piece)."""
        v = 0
        for shift in range(0, width, 16):
            v |= self.draw(1 << min(16, width - shift)) << shift
        return v

    def weighted(self, weights: list[int]) -> int:
        """An index into `weights`, each chosen in proportion to its weight; index 0 is
        what an exhausted or zeroed sequence gives."""
        total = sum(weights)
        r = self.draw(total)
        for i, w in enumerate(weights):
            if r < w:
                return i
            r -= w
        return len(weights) - 1

    def chance(self, num: int, den: int) -> bool:
        """True with probability num/den; False when the sequence says 0."""
        return self.draw(den) >= den - num

    def used(self) -> list[int]:
        """The choices the generation actually read (for saving and reducing)."""
        return self.values[: self.pos] if self.rng is None else list(self.values)
