"""Core layers: Dense, Activation, Dropout, Identity, Lambda, Embedding, Masking."""

from scratchdl.layers.core.activation import Activation
from scratchdl.layers.core.dense import Dense
from scratchdl.layers.core.dropout import Dropout
from scratchdl.layers.core.embedding import Embedding
from scratchdl.layers.core.identity import Identity
from scratchdl.layers.core.lambda_layer import Lambda
from scratchdl.layers.core.masking import Masking

__all__ = ["Activation", "Dense", "Dropout", "Embedding", "Identity", "Lambda", "Masking"]
