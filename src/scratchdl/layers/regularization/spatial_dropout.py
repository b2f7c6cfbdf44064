"""``SpatialDropout1D`` and ``SpatialDropout2D``: drop whole feature maps instead of single values."""

from __future__ import annotations

from typing import Any

from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._spatial import check_rank
from scratchdl.layers._utils import label, standardize_data_format
from scratchdl.layers.core.dropout import Dropout

__all__ = ["BaseSpatialDropout", "SpatialDropout1D", "SpatialDropout2D"]


class BaseSpatialDropout(Dropout):
    """Dropout with one keep/drop draw per (sample, channel), shared by all spatial positions.

    Neighbouring pixels (or time steps) of a feature map are strongly correlated, so dropping them
    one by one barely regularizes; dropping the whole map does (Tompson et al., 2015). While
    training, each channel of each sample is zeroed with probability ``rate`` and the rest are
    scaled by ``1 / (1 - rate)``; in inference the layer is the identity.

    Args:
        rate: the fraction of channels to drop, in [0, 1].
        seed: an int makes the masks reproducible for this layer; None draws from the seeded
            ``backend.random_generator()``.
        name: the layer name.
        dtype: the layer dtype.
    """

    spatial_dims = 0

    def __init__(self, rate: float, seed: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(rate, seed=seed, name=name, dtype=dtype)

    def _data_format(self) -> str:
        return "channels_last"

    def _mask_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        check_rank(self, shape, self.spatial_dims, self._data_format())
        ones = (1,) * self.spatial_dims
        if self._data_format() == "channels_first":
            return (shape[0], shape[1], *ones)
        return (shape[0], *ones, shape[-1])

    def call(self, inputs: Tensor, training: bool | None = False) -> Tensor:
        """``inputs * mask / (1 - rate)`` with a mask of shape ``(batch, 1, ..., channels)`` when
        training, else ``inputs``."""
        check_rank(self, inputs.shape, self.spatial_dims, self._data_format())
        return super().call(inputs, training=training)

    def get_config(self) -> dict[str, Any]:
        """Keras's spatial dropout config (``rate``, ``seed``, ``name``, ``dtype``)."""
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype}


class SpatialDropout1D(BaseSpatialDropout):
    """Spatial dropout for sequences ``(batch, steps, channels)``: each channel is dropped at all
    steps at once (mask shape ``(batch, 1, channels)``), as Keras's SpatialDropout1D.

    Args:
        rate: the fraction of channels to drop.
        seed: an optional int seed.
        name, dtype: as for every layer.

    >>> import numpy as np
    >>> y = SpatialDropout1D(0.5, seed=1)(np.ones((2, 4, 3), dtype="float32"), training=True)
    >>> bool(np.all((y.numpy() == y.numpy()[:, :1]) & np.isin(y.numpy(), [0.0, 2.0])))
    True
    """

    spatial_dims = 1


class SpatialDropout2D(BaseSpatialDropout):
    """Spatial dropout for images: each channel is dropped over the whole image (mask shape
    ``(batch, 1, 1, channels)``, or ``(batch, channels, 1, 1)`` channels first), as Keras's
    SpatialDropout2D.

    Args:
        rate: the fraction of channels to drop.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        seed: an optional int seed.
        name, dtype: as for every layer.

    >>> import numpy as np
    >>> SpatialDropout2D(0.3)(np.ones((2, 4, 4, 3), dtype="float32")).shape  # inference: identity
    (2, 4, 4, 3)
    """

    spatial_dims = 2

    def __init__(self, rate: float, data_format: str | None = None, seed: int | None = None,
                 name: str | None = None, dtype: Any = None) -> None:
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        self.data_format = standardize_data_format(data_format, label(self))

    def _data_format(self) -> str:
        return self.data_format

    def get_config(self) -> dict[str, Any]:
        """Keras's SpatialDropout2D config."""
        return {**super().get_config(), "data_format": self.data_format}
