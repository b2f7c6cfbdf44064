"""``TerminateOnNaN``: stop training as soon as a batch loss is NaN or infinite."""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl.callbacks.callback import Callback

__all__ = ["TerminateOnNaN"]


class TerminateOnNaN(Callback):
    """Stop ``fit`` when the loss becomes NaN or infinite (checked after every batch).

    Args:
        raise_error: False (default) sets ``model.stop_training`` so training ends gracefully
            (``on_train_end`` hooks still run); True raises ``RuntimeError`` at once.
    """

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Check ``logs['loss']``."""
        loss = (logs or {}).get("loss")
        if loss is not None and (np.isnan(loss) or np.isinf(loss)):
            if self.raise_error:
                raise RuntimeError(
                    f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                    "Terminating training immediately."
                )
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
