"""The ``seed`` argument of the random data helpers (generators, splits, mini-batches)."""

from __future__ import annotations

import numpy as np

from scratchdl import backend

__all__ = ["Seed", "rng_from_seed"]

Seed = int | np.random.Generator | None


def rng_from_seed(seed: Seed, caller: str) -> np.random.Generator:
    """The generator ``seed`` stands for: scratchdl's seeded ``backend.random_generator()`` for
    None, the given ``Generator`` as it is, or a fresh ``np.random.default_rng(seed)`` for a
    non-negative int; anything else raises a ValueError naming ``caller``."""
    if seed is None:
        return backend.random_generator()
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"{caller}: seed must be a non-negative int, a numpy Generator or None, got {seed!r}")
    return np.random.default_rng(int(seed))
