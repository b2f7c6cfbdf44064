"""Regularization layers: SpatialDropout1D, SpatialDropout2D."""

from scratchdl.layers.regularization.spatial_dropout import (
    BaseSpatialDropout,
    SpatialDropout1D,
    SpatialDropout2D,
)

__all__ = ["BaseSpatialDropout", "SpatialDropout1D", "SpatialDropout2D"]
