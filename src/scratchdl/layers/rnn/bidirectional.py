"""``Bidirectional``: run a recurrent layer forwards and a copy of it backwards, then merge."""

from __future__ import annotations

from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._utils import label
from scratchdl.layers.layer import Layer
from scratchdl.layers.rnn.rnn import prefix_weight_paths

__all__ = ["Bidirectional"]

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


class Bidirectional(Layer):
    """A bidirectional wrapper for RNN layers (Keras's ``Bidirectional``).

    The forward layer is a copy of ``layer`` named ``forward_<name>``; the backward layer is
    ``backward_layer`` or a copy of ``layer`` with ``go_backwards=True`` named
    ``backward_<name>``. The backward outputs are flipped back into time order before merging.
    Weights are ordered forward layer first, then backward layer, as in Keras.

    Args:
        layer: an RNN layer (``LSTM``, ``GRU``, ``SimpleRNN``, ``RNN``); only its config is used.
        merge_mode: how to combine the two outputs: ``'concat'`` (default), ``'sum'``,
            ``'mul'``, ``'ave'`` or None (return both, ``[forward, backward]``).
        weights: optional initial weights (forward layer's, then backward layer's).
        backward_layer: an RNN layer processing the sequence backwards (``go_backwards=True``).

    Call arguments: ``sequences``, ``initial_state`` (the forward states then the backward
    ones), ``mask``, ``training``. With ``return_state`` the outputs are followed by the
    forward states and then the backward states.

    >>> import numpy as np
    >>> from scratchdl.layers import LSTM
    >>> Bidirectional(LSTM(4, return_sequences=True))(np.zeros((2, 5, 3), "float32")).shape
    (2, 5, 8)
    """

    def __init__(self, layer: Layer, merge_mode: str | None = "concat", weights: Any = None,
                 backward_layer: Layer | None = None, **kwargs: Any) -> None:
        from scratchdl.models.layer_serialization import (
            deserialize_layer,
            serialize_layer,
        )

        if not isinstance(layer, Layer):
            raise ValueError(
                "Bidirectional: please initialize `Bidirectional` layer with a `keras.layers.Layer` instance. "
                f"Received: {layer}"
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                f"Bidirectional: `backward_layer` needs to be a `keras.layers.Layer` instance. Received: "
                f"{backward_layer}"
            )
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"Bidirectional: Invalid merge mode. Received: {merge_mode}. Merge mode should be one of "
                '{"sum", "mul", "ave", "concat", None}'
            )
        super().__init__(**kwargs)
        config = serialize_layer(layer)
        config["config"]["name"] = f"forward_{layer.name.removeprefix('forward_')}"
        self.forward_layer = deserialize_layer(config)
        if backward_layer is None:
            config = serialize_layer(layer)
            config["config"]["go_backwards"] = True
            config["config"]["name"] = f"backward_{layer.name.removeprefix('backward_')}"
            self.backward_layer = deserialize_layer(config)
        else:
            self.backward_layer = backward_layer
        self._verify_layer_config()
        # As in Keras: masked steps of returned sequences are zeros, so the merge is clean.
        for sub in (self.forward_layer, self.backward_layer):
            if getattr(sub, "zero_output_for_mask", None) is not None:
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        if weights:
            half = len(weights) // 2
            self.forward_layer._initial_weights = list(weights[:half])
            self.backward_layer._initial_weights = list(weights[half:])
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True

    def _verify_layer_config(self) -> None:
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(
                f"{label(self)}: forward layer and backward layer should have different `go_backwards` value. "
                f"Received: forward_layer.go_backwards {forward.go_backwards}, "
                f"backward_layer.go_backwards={backward.go_backwards}"
            )
        for attribute in ("stateful", "return_sequences", "return_state"):
            forward_value, backward_value = getattr(forward, attribute), getattr(backward, attribute)
            if forward_value != backward_value:
                raise ValueError(
                    f"{label(self)}: forward layer and backward layer are expected to have the same value for "
                    f'attribute "{attribute}", got "{forward_value}" for forward layer and '
                    f'"{backward_value}" for backward layer'
                )

    # ------------------------------------------------------------------ shapes and masks
    def compute_output_shape(self, sequences_shape: Any, initial_state_shape: Any = None) -> Any:
        """The forward layer's output shape, with the last axis doubled for ``'concat'``."""
        output_shape = self.forward_layer.compute_output_shape(tuple(sequences_shape))
        state_shape: tuple[Any, ...] = ()
        if self.return_state:
            output_shape, state_shape = output_shape[0], tuple(output_shape[1:])
        if self.merge_mode == "concat":
            output_shape = (*output_shape[:-1], output_shape[-1] * 2)
        if self.merge_mode is None:
            outputs: tuple[Any, ...] = (tuple(output_shape), tuple(output_shape))
        else:
            outputs = (tuple(output_shape),)
        if self.return_state:
            return (*outputs, *state_shape, *state_shape)
        return outputs[0] if self.merge_mode is not None else list(outputs)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """The input mask on returned sequences (twice with ``merge_mode=None``), None on states."""
        mask = previous_mask[0] if isinstance(previous_mask, (list, tuple)) else previous_mask
        sequence_mask = mask if self.return_sequences else None
        output_masks = [sequence_mask, sequence_mask] if self.merge_mode is None else [sequence_mask]
        if self.return_state:
            n_states = len(getattr(self.forward_layer, "flat_state_size", [None]))
            return output_masks + [None] * (2 * n_states)
        return output_masks if self.merge_mode is None else output_masks[0]

    # ------------------------------------------------------------------ build and call
    def build(self, sequences_shape: Any, initial_state_shape: Any = None) -> None:
        """Build both layers on the input shape."""
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                sub.build(tuple(sequences_shape))
                sub.built = True
                if sub._initial_weights is not None:
                    sub.set_weights(sub._initial_weights)
                    sub._initial_weights = None
                prefix_weight_paths(sub, self.name)

    def call(self, sequences: Tensor, initial_state: Any = None, mask: Any = None,
             training: bool | None = None) -> Any:
        """Both directions, merged (see the class docstring)."""
        kwargs: dict[str, Any] = {}
        if "training" in self.forward_layer._call_accepts:
            kwargs["training"] = training
        if "mask" in self.forward_layer._call_accepts:
            kwargs["mask"] = mask
        forward_state = backward_state = None
        if initial_state is not None:
            initial_state = list(initial_state)
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(sequences, initial_state=forward_state, **kwargs)
        y_reverse = self.backward_layer(sequences, initial_state=backward_state, **kwargs)
        states: tuple[Any, ...] = ()
        if self.return_state:
            states = (*y[1:], *y_reverse[1:])
            y, y_reverse = y[0], y_reverse[0]
        if self.return_sequences:
            y_reverse = ops.flip(y_reverse, axis=1)
        if self.merge_mode == "concat":
            output: Any = ops.concatenate([y, y_reverse], axis=-1)
        elif self.merge_mode == "sum":
            output = y + y_reverse
        elif self.merge_mode == "ave":
            output = (y + y_reverse) / 2
        elif self.merge_mode == "mul":
            output = y * y_reverse
        else:
            output = [y, y_reverse]
        if self.return_state:
            if self.merge_mode is None:
                return (*output, *states)
            return (output, *states)
        return output

    # ------------------------------------------------------------------ states
    @property
    def states(self) -> tuple[Tensor, ...] | None:
        """Both layers' states (stateful layers only)."""
        forward, backward = self.forward_layer.states, self.backward_layer.states
        if forward and backward:
            return (*forward, *backward)
        return None

    def reset_states(self) -> None:
        """Reset both layers' states (an alias of ``reset_state``)."""
        self.reset_state()

    def reset_state(self) -> None:
        """Reset both layers' states to zeros."""
        if not self.stateful:
            raise AttributeError(f"{label(self)}: Layer must be stateful.")
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        """Keras's config: ``merge_mode`` and both layers serialized."""
        from scratchdl.models.layer_serialization import serialize_layer

        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": serialize_layer(self.forward_layer),
            "backward_layer": serialize_layer(self.backward_layer),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Bidirectional:
        """Rebuild the wrapper and both layers from ``get_config()``."""
        from scratchdl.models.layer_serialization import deserialize_layer

        config = dict(config)
        config["layer"] = deserialize_layer(config["layer"], custom_objects=custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = deserialize_layer(backward, custom_objects=custom_objects)
        return cls(**config)
