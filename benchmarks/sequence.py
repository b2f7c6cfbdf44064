"""Sequence models (issue 5, workloads 4 and 5): a character-level LSTM language model and a
Transformer encoder, one Adam training step each.

4. Character LSTM LM: token ids (batch 32, 64 steps, vocabulary 65) -> ``Embedding(65, 64)`` ->
   ``LSTM(256, return_sequences=True)`` -> ``Dense(65)`` logits at every step, sparse categorical
   cross-entropy against the next characters. PyTorch: ``nn.Embedding``, ``nn.LSTM`` (one fused
   layer), ``nn.Linear`` and ``F.cross_entropy``.
5. Transformer encoder: inputs (batch 32, 64 tokens, d_model 128) through two post-norm encoder
   blocks (4-head self-attention, residual + LayerNormalization, FFN 128-512-128 with ReLU,
   residual + LayerNormalization), mean over tokens, ``Dense(10)`` logits. scratchdl and Keras
   build it from ``MultiHeadAttention``, ``Add``, ``LayerNormalization`` and ``Dense``; PyTorch
   uses ``nn.TransformerEncoder`` with ``nn.TransformerEncoderLayer(128, 4, 512, dropout=0)``,
   the same computation.

scratchdl and Keras 3 (torch backend) train with ``train_on_batch``; PyTorch with a plain
``zero_grad``/``backward``/``step`` loop. The builders are shared with ``benchmarks.memory``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.timing import Result, compare

VOCAB, EMBED, UNITS, STEPS, LM_BATCH = 65, 64, 256, 64, 32
D_MODEL, HEADS, FFN, TOKENS, TF_BATCH, TF_CLASSES, BLOCKS = 128, 4, 512, 64, 32, 10, 2


# ------------------------------------------------------------------------------ LSTM LM
def lm_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and next-token targets, (32, 64) each."""
    tokens = np.random.default_rng(seed).integers(0, VOCAB, (LM_BATCH, STEPS + 1))
    return tokens[:, :-1].astype(np.int32), tokens[:, 1:].astype(np.int64)


def lstm_lm_model(lib: Any) -> Any:
    """The character LSTM language model in ``lib``, compiled with Adam."""
    layers = lib.layers
    model = lib.Sequential([
        lib.Input((STEPS,), dtype="int32"),
        layers.Embedding(VOCAB, EMBED),
        layers.LSTM(UNITS, return_sequences=True),
        layers.Dense(VOCAB),
    ])
    model.compile(optimizer=lib.optimizers.Adam(1e-3),
                  loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def torch_lstm_lm_step() -> Callable[[], float]:
    """One Adam step of the same language model in PyTorch."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    class CharLM(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Embedding(VOCAB, EMBED)
            self.lstm = nn.LSTM(EMBED, UNITS, batch_first=True)
            self.head = nn.Linear(UNITS, VOCAB)

        def forward(self, tokens: torch.Tensor) -> torch.Tensor:
            return self.head(self.lstm(self.embedding(tokens))[0])

    module = CharLM()
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3)
    x, y = lm_data()
    x_t, y_t = torch.from_numpy(x.astype(np.int64)), torch.from_numpy(y).reshape(-1)

    def step() -> float:
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(module(x_t).reshape(-1, VOCAB), y_t)
        loss.backward()
        optimizer.step()
        return float(loss.item())

    return step


def char_lstm_lm(quick: bool) -> Result:
    """Workload 4: one training step of the character-level LSTM language model."""
    import keras

    import scratchdl as sd

    x, y = lm_data()
    model, keras_model = lstm_lm_model(sd), lstm_lm_model(keras)
    times = compare({
        "scratchdl": lambda: model.train_on_batch(x, y),
        "pytorch": torch_lstm_lm_step(),
        "keras": lambda: keras_model.train_on_batch(x, y),
    }, repeats=4 if quick else 15, warmup=1, max_seconds=5 if quick else None)
    return Result("4. char LSTM LM train step: vocab 65, Embedding 64, LSTM 256, 64 steps, "
                  "batch 32", times["scratchdl"], times["pytorch"], times["keras"], target=1.3)


# ------------------------------------------------------------------------------ Transformer
def encoder_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Token embeddings (32, 64, 128) and class labels (32,)."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((TF_BATCH, TOKENS, D_MODEL), dtype=np.float32),
            rng.integers(0, TF_CLASSES, TF_BATCH))


def _encoder_block(lib: Any, x: Any) -> Any:
    layers = lib.layers
    attended = layers.MultiHeadAttention(num_heads=HEADS, key_dim=D_MODEL // HEADS)(x, x)
    x = layers.LayerNormalization(epsilon=1e-5)(layers.Add()([x, attended]))
    hidden = layers.Dense(FFN, activation="relu")(x)
    return layers.LayerNormalization(epsilon=1e-5)(layers.Add()([x, layers.Dense(D_MODEL)(hidden)]))


def encoder_model(lib: Any) -> Any:
    """The two-block Transformer encoder classifier in ``lib``, compiled with Adam."""
    inputs = lib.Input((TOKENS, D_MODEL))
    x = inputs
    for _ in range(BLOCKS):
        x = _encoder_block(lib, x)
    outputs = lib.layers.Dense(TF_CLASSES)(lib.layers.GlobalAveragePooling1D()(x))
    model = lib.Model(inputs, outputs)
    model.compile(optimizer=lib.optimizers.Adam(1e-3),
                  loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def scratchdl_encoder_step() -> Callable[[], Any]:
    """One scratchdl training step of the encoder (used by the memory benchmark too)."""
    import scratchdl as sd

    model = encoder_model(sd)
    x, y = encoder_data()
    return lambda: model.train_on_batch(x, y)


def torch_encoder_step() -> Callable[[], float]:
    """One PyTorch training step of the same encoder (post-norm, ReLU, no dropout)."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    class Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            layer = nn.TransformerEncoderLayer(D_MODEL, HEADS, FFN, dropout=0.0, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, BLOCKS, enable_nested_tensor=False)
            self.head = nn.Linear(D_MODEL, TF_CLASSES)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(self.encoder(x).mean(dim=1))

    module = Encoder().train()
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3)
    x, y = encoder_data()
    x_t, y_t = torch.from_numpy(x), torch.from_numpy(y)

    def step() -> float:
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(module(x_t), y_t)
        loss.backward()
        optimizer.step()
        return float(loss.item())

    return step


def transformer_encoder(quick: bool) -> Result:
    """Workload 5: one training step of the two-block Transformer encoder."""
    import keras

    x, y = encoder_data()
    keras_model = encoder_model(keras)
    times = compare({
        "scratchdl": scratchdl_encoder_step(),
        "pytorch": torch_encoder_step(),
        "keras": lambda: keras_model.train_on_batch(x, y),
    }, repeats=5 if quick else 20, warmup=1, max_seconds=5 if quick else None)
    return Result("5. Transformer encoder train step: 2 blocks, d_model 128, 4 heads, FFN 512, "
                  "64 tokens, batch 32", times["scratchdl"], times["pytorch"], times["keras"],
                  target=1.5)


WORKLOADS = [char_lstm_lm, transformer_encoder]
