"""End to end: a character-level LSTM language model (Embedding -> LSTM(return_sequences) ->
Dense(vocab)) trained with ``fit`` on a few paragraphs learns the text: its loss drops far
below the uniform-guess loss, and the text it samples is made of the training characters and,
mostly, of the training text's own character pairs."""

from __future__ import annotations

import numpy as np

import scratchdl
from scratchdl import layers

TEXT = """
The river ran slowly past the old mill, and the miller sat by the door and watched the water.
Every morning he opened the gate, and every evening he closed it again. The wheel turned and
the stones ground the grain, and the flour was white and fine. The children of the village
came to the mill to play by the water, and the miller told them stories of the river.
The river was long and the river was old, and it had seen many mills and many millers.
It came down from the hills where the snow lay late in the spring, and it ran to the sea
where the ships came in with the tide. The miller had never seen the sea, but he loved the
river, and he listened to the water at night when the wheel was still and the stars were out.
""".strip().replace("\n", " ")

SEQUENCE = 24


def _dataset() -> tuple[np.ndarray, np.ndarray, list[str]]:
    chars = sorted(set(TEXT))
    index = {c: i for i, c in enumerate(chars)}
    encoded = np.array([index[c] for c in TEXT], dtype=np.int32)
    starts = np.arange(0, len(encoded) - SEQUENCE - 1, 3)
    x = np.stack([encoded[s:s + SEQUENCE] for s in starts])
    y = np.stack([encoded[s + 1:s + SEQUENCE + 1] for s in starts])
    return x, y, chars


def _sample(model: scratchdl.Model, chars: list[str], seed_text: str, length: int,
            rng: np.random.Generator) -> str:
    index = {c: i for i, c in enumerate(chars)}
    ids = [index[c] for c in seed_text]
    for _ in range(length):
        window = np.array([ids[-SEQUENCE:]], dtype=np.int32)
        logits = model.predict(window, verbose=0)[0, -1].astype(np.float64)
        probabilities = np.exp((logits - logits.max()) / 0.5)  # temperature 0.5
        ids.append(int(rng.choice(len(chars), p=probabilities / probabilities.sum())))
    return "".join(chars[i] for i in ids[len(seed_text):])


def test_char_lstm_language_model_learns_the_text() -> None:
    scratchdl.utils.set_random_seed(0)
    x, y, chars = _dataset()
    vocab = len(chars)
    model = scratchdl.Sequential([
        scratchdl.Input((SEQUENCE,), dtype="int32"),
        layers.Embedding(vocab, 16),
        layers.LSTM(96, return_sequences=True),
        layers.Dense(vocab),
    ])
    model.compile(optimizer=scratchdl.optimizers.Adam(0.01),
                  loss=scratchdl.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, y, batch_size=32, epochs=20, verbose=0)
    losses = history.history["loss"]
    uniform = np.log(vocab)
    assert abs(losses[0] - uniform) < 0.6 * uniform  # it starts near a uniform guess
    assert losses[-1] < 0.25 * losses[0], losses  # and learns the text
    text = _sample(model, chars, TEXT[:SEQUENCE], 120, np.random.default_rng(1))
    assert len(text) == 120 and set(text) <= set(chars)
    pairs = [text[i:i + 2] for i in range(len(text) - 1)]
    seen = sum(pair in TEXT for pair in pairs) / len(pairs)
    assert seen > 0.9, (seen, text)
