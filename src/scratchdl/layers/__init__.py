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
from scratchdl.layers.reshaping.cropping1d import Cropping1D
from scratchdl.layers.reshaping.cropping2d import Cropping2D
from scratchdl.layers.reshaping.up_sampling1d import UpSampling1D
from scratchdl.layers.reshaping.up_sampling2d import UpSampling2D
from scratchdl.layers.reshaping.zero_padding1d import ZeroPadding1D
from scratchdl.layers.reshaping.zero_padding2d import ZeroPadding2D

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

# Convolutional (with Keras's aliases)
from scratchdl.layers.convolutional.base_conv import BaseConv
from scratchdl.layers.convolutional.conv1d import Conv1D
from scratchdl.layers.convolutional.conv1d_transpose import Conv1DTranspose
from scratchdl.layers.convolutional.conv2d import Conv2D
from scratchdl.layers.convolutional.conv2d_transpose import Conv2DTranspose
from scratchdl.layers.convolutional.depthwise_conv1d import DepthwiseConv1D
from scratchdl.layers.convolutional.depthwise_conv2d import DepthwiseConv2D
from scratchdl.layers.convolutional.separable_conv1d import SeparableConv1D
from scratchdl.layers.convolutional.separable_conv2d import SeparableConv2D

Convolution1D, Convolution2D = Conv1D, Conv2D
Convolution1DTranspose, Convolution2DTranspose = Conv1DTranspose, Conv2DTranspose
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D

# Pooling (with Keras's aliases)
from scratchdl.layers.pooling.average_pooling1d import AveragePooling1D
from scratchdl.layers.pooling.average_pooling2d import AveragePooling2D
from scratchdl.layers.pooling.global_average_pooling1d import GlobalAveragePooling1D
from scratchdl.layers.pooling.global_average_pooling2d import GlobalAveragePooling2D
from scratchdl.layers.pooling.global_max_pooling1d import GlobalMaxPooling1D
from scratchdl.layers.pooling.global_max_pooling2d import GlobalMaxPooling2D
from scratchdl.layers.pooling.max_pooling1d import MaxPooling1D
from scratchdl.layers.pooling.max_pooling2d import MaxPooling2D

AvgPool1D, AvgPool2D, MaxPool1D, MaxPool2D = AveragePooling1D, AveragePooling2D, MaxPooling1D, MaxPooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D

# Regularization
from scratchdl.layers.regularization.spatial_dropout import SpatialDropout1D, SpatialDropout2D

# Attention (and EinsumDense, the projection MultiHeadAttention is built on)
from scratchdl.layers.core.einsum_dense import EinsumDense
from scratchdl.layers.attention.additive_attention import AdditiveAttention
from scratchdl.layers.attention.attention import Attention
from scratchdl.layers.attention.multi_head_attention import MultiHeadAttention

# Recurrent (and the wrappers Bidirectional, TimeDistributed)
from scratchdl.layers.rnn.bidirectional import Bidirectional
from scratchdl.layers.rnn.gru import GRU, GRUCell
from scratchdl.layers.rnn.lstm import LSTM, LSTMCell
from scratchdl.layers.rnn.rnn import RNN
from scratchdl.layers.rnn.simple_rnn import SimpleRNN, SimpleRNNCell
from scratchdl.layers.rnn.stacked_rnn_cells import StackedRNNCells
from scratchdl.layers.rnn.time_distributed import TimeDistributed
