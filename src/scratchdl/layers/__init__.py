"""Keras layer families, all re-exported here (``scratchdl.layers.Dense``, ...).

Each family lives in its own sub-package, one layer per file, as in Keras. Add a family by
appending its imports in its own block below (one import per line, sorted within the block).
"""

# Base classes and symbolic tensors
from scratchdl.layers.layer import Layer
from scratchdl.layers.symbolic import KerasTensor

# Core
from scratchdl.layers.core.activation import Activation
from scratchdl.layers.core.dense import Dense
from scratchdl.layers.core.dropout import Dropout
from scratchdl.layers.core.embedding import Embedding
from scratchdl.layers.core.identity import Identity
from scratchdl.layers.core.lambda_layer import Lambda
from scratchdl.layers.core.masking import Masking

# Reshaping
from scratchdl.layers.reshaping.flatten import Flatten
from scratchdl.layers.reshaping.permute import Permute
from scratchdl.layers.reshaping.repeat_vector import RepeatVector
from scratchdl.layers.reshaping.reshape import Reshape

# Preprocessing
from scratchdl.layers.preprocessing.rescaling import Rescaling

# Merging (layers and their functional forms)
from scratchdl.layers.merging.add import Add, add
from scratchdl.layers.merging.average import Average, average
from scratchdl.layers.merging.base_merge import Merge
from scratchdl.layers.merging.concatenate import Concatenate, concatenate
from scratchdl.layers.merging.dot import Dot, dot
from scratchdl.layers.merging.maximum import Maximum, maximum
from scratchdl.layers.merging.minimum import Minimum, minimum
from scratchdl.layers.merging.multiply import Multiply, multiply
from scratchdl.layers.merging.subtract import Subtract, subtract

# Activations
from scratchdl.layers.activations.elu import ELU
from scratchdl.layers.activations.leaky_relu import LeakyReLU
from scratchdl.layers.activations.prelu import PReLU
from scratchdl.layers.activations.relu import ReLU
from scratchdl.layers.activations.softmax import Softmax

# Input (the entry of functional models; defined in scratchdl.models)
from scratchdl.models.input_layer import Input, InputLayer

# Normalization
from scratchdl.layers.normalization.batch_normalization import BatchNormalization
from scratchdl.layers.normalization.layer_normalization import LayerNormalization
