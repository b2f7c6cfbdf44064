"""``DropoutRNNCell``: dropout masks drawn once per sequence for recurrent cells (as Keras).

A recurrent cell runs once per time step, but its dropout masks must stay the same for every
step of a sequence (Gal & Ghahramani's variational dropout), or the recurrent state would be
disturbed by fresh noise at each step. The RNN layer draws the masks at the start of a call
(``get_dropout_mask``/``get_recurrent_dropout_mask`` cache them) and clears them at the end
(``reset_dropout_mask``/``reset_recurrent_dropout_mask``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl import backend
from scratchdl.autograd.tensor import Tensor

__all__ = ["DropoutRNNCell", "masked_matmul", "stacked_masks"]


class DropoutRNNCell:
    """Mixin for cells with ``dropout`` and ``recurrent_dropout`` rates and a ``seed``.

    With ``dropout_mask_count = n`` (Keras's LSTM and GRU when ``recurrent_dropout > 0``) each
    gate gets its own mask: the getters return a list of ``n`` masks.
    """

    dropout: float
    recurrent_dropout: float
    seed: int | None
    dropout_mask_count: int | None = None

    def _dropout_generator(self) -> np.random.Generator:
        rng = getattr(self, "_dropout_rng", None)
        if rng is None and self.seed is not None:
            rng = self._dropout_rng = np.random.default_rng(self.seed)
        return rng if rng is not None else backend.random_generator()

    def _create_dropout_mask(self, step_input: Any, rate: float) -> Any:
        data = step_input.data if isinstance(step_input, Tensor) else np.asarray(step_input)
        dtype = data.dtype if data.dtype.kind == "f" else np.dtype(backend.floatx())
        rng = self._dropout_generator()

        def draw() -> np.ndarray:
            keep = rng.random(data.shape) >= rate
            return keep.astype(dtype) * dtype.type(1.0 / (1.0 - rate))

        if self.dropout_mask_count is None:
            return draw()
        return [draw() for _ in range(self.dropout_mask_count)]

    def get_dropout_mask(self, step_input: Any) -> Any:
        """The input dropout mask(s) for this sequence (drawn on first use), or None."""
        if getattr(self, "_dropout_mask", None) is None and 0.0 < self.dropout < 1.0:
            self._dropout_mask = self._create_dropout_mask(step_input, self.dropout)
        return getattr(self, "_dropout_mask", None)

    def get_recurrent_dropout_mask(self, step_input: Any) -> Any:
        """The recurrent dropout mask(s) for this sequence (drawn on first use), or None."""
        if (getattr(self, "_recurrent_dropout_mask", None) is None
                and 0.0 < self.recurrent_dropout < 1.0):
            self._recurrent_dropout_mask = self._create_dropout_mask(step_input,
                                                                     self.recurrent_dropout)
        return getattr(self, "_recurrent_dropout_mask", None)

    def reset_dropout_mask(self) -> None:
        """Forget the input dropout mask (the next sequence draws a new one)."""
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self) -> None:
        """Forget the recurrent dropout mask."""
        self._recurrent_dropout_mask = None


def stacked_masks(masks: Any) -> Any:
    """A mask, or a list of per-gate masks as one ``(gates, batch, size)`` array (for the fused
    ops), or None."""
    if masks is None:
        return None
    return np.stack(masks) if isinstance(masks, list) else masks


def masked_matmul(x: Any, kernel: Any, masks: Any, gates: int) -> Any:
    """``x @ kernel`` where the input is multiplied by dropout ``masks`` first: one mask shared
    by all gates, or a list with one mask per gate (gate ``g`` uses ``(x * masks[g]) @
    kernel[:, block g]``, as Keras's ``implementation=1`` cells do)."""
    from scratchdl import ops

    if masks is None:
        return ops.matmul(x, kernel)
    if not isinstance(masks, list):
        return ops.matmul(x * masks, kernel)
    blocks = ops.split(kernel, gates, axis=1)
    return ops.concatenate([ops.matmul(x * m, k) for m, k in zip(masks, blocks)], axis=-1)
