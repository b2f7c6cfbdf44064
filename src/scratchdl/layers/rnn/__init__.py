"""Recurrent layers: RNN, SimpleRNN, LSTM, GRU (and their cells), StackedRNNCells,
Bidirectional, TimeDistributed."""

from scratchdl.layers.rnn.bidirectional import Bidirectional
from scratchdl.layers.rnn.gru import GRU, GRUCell
from scratchdl.layers.rnn.lstm import LSTM, LSTMCell
from scratchdl.layers.rnn.rnn import RNN
from scratchdl.layers.rnn.simple_rnn import SimpleRNN, SimpleRNNCell
from scratchdl.layers.rnn.stacked_rnn_cells import StackedRNNCells
from scratchdl.layers.rnn.time_distributed import TimeDistributed

__all__ = [
           "GRU",
           "LSTM",
           "RNN",
           "Bidirectional",
           "GRUCell",
           "LSTMCell",
           "SimpleRNN",
           "SimpleRNNCell",
           "StackedRNNCells",
           "TimeDistributed",
]
