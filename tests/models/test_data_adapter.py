"""Batching of arrays and iterables for the training loop."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import scratchdl as sd
from scratchdl.models.data_adapter import (
    ArrayDataAdapter, EpochIterator, IterableDataAdapter, class_weight_to_sample_weights,
    get_data_adapter, train_validation_split, unpack_x_y_sample_weight,
)


def test_batches_keep_the_last_partial_batch_in_order() -> None:
    x = np.arange(10, dtype="float32")[:, None]
    adapter = ArrayDataAdapter(x, np.arange(10), batch_size=4)
    batches = list(adapter)
    assert adapter.num_batches == 3 and [len(b[0]) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), np.arange(10))
    assert ArrayDataAdapter(x).batch_size == 32
    assert ArrayDataAdapter(x, steps=5).batch_size == 2


def test_shuffle_is_a_seeded_permutation_per_epoch() -> None:
    x = np.arange(20)
    adapter = ArrayDataAdapter(x, x * 10, batch_size=6, shuffle=True)
    sd.backend.set_random_seed(3)
    first = [b[0] for b in adapter]
    second = [b[0] for b in adapter]
    order = np.concatenate(first)
    assert sorted(order.tolist()) == list(range(20)) and order.tolist() != list(range(20))
    assert np.concatenate(second).tolist() != order.tolist()  # a new permutation each epoch
    np.testing.assert_array_equal(np.concatenate([b[1] for b in adapter]) % 10, 0)
    sd.backend.set_random_seed(3)
    assert np.concatenate([b[0] for b in adapter]).tolist() == order.tolist()
    within = ArrayDataAdapter(x, batch_size=6, shuffle="batch")
    for index, (batch,) in enumerate(within):
        assert sorted(batch.tolist()) == list(range(index * 6, min(index * 6 + 6, 20)))


def test_structures_of_arrays_are_sliced_together() -> None:
    x = {"a": np.arange(6)[:, None], "b": np.arange(6)[:, None] * 2}
    y = [np.arange(6), np.arange(6) + 100]
    batch = next(iter(ArrayDataAdapter(x, y, sample_weight=np.ones(6), batch_size=4)))
    bx, by, bw = batch
    assert bx["b"].ravel().tolist() == [0, 2, 4, 6] and by[1].tolist() == [100, 101, 102, 103]
    assert isinstance(bw, list) and len(bw) == 2  # one sample_weight array per output
    with pytest.raises(ValueError, match="cardinality"):
        ArrayDataAdapter(np.zeros((4, 1)), np.zeros(3))


def test_class_weight_to_sample_weights() -> None:
    weights = {0: 0.5, 2: 3.0}
    np.testing.assert_allclose(class_weight_to_sample_weights(np.array([0, 1, 2, 2]), weights), [0.5, 1, 3, 3])
    np.testing.assert_allclose(class_weight_to_sample_weights(np.eye(3)[[2, 0]], weights), [3.0, 0.5])
    np.testing.assert_allclose(class_weight_to_sample_weights(np.array([[2.0], [1.0]]), weights), [3.0, 1.0])
    with pytest.raises(ValueError, match="at the same time"):
        ArrayDataAdapter(np.zeros((2, 1)), np.zeros(2), sample_weight=np.ones(2), class_weight=weights)
    with pytest.raises(ValueError, match="single output"):
        ArrayDataAdapter(np.zeros((2, 1)), [np.zeros(2), np.zeros(2)], class_weight=weights)


def test_train_validation_split_takes_the_end() -> None:
    x, y = np.arange(10)[:, None], np.arange(10)
    (tx, ty, tw), (vx, vy, vw) = train_validation_split((x, y, None), 0.3)
    assert ty.tolist() == list(range(7)) and vy.tolist() == [7, 8, 9] and tw is None and vw is None
    with pytest.raises(ValueError, match="only supported for arrays"):
        train_validation_split((iter([1]), None, None), 0.5)


def test_unpack_and_adapter_choice() -> None:
    assert unpack_x_y_sample_weight(5) == (5, None, None)
    assert unpack_x_y_sample_weight([1, 2]) == (1, 2, None)
    with pytest.raises(ValueError, match="4 elements"):
        unpack_x_y_sample_weight((1, 2, 3, 4))
    assert isinstance(get_data_adapter(np.zeros((2, 2))), ArrayDataAdapter)
    assert isinstance(get_data_adapter([[0.0, 1.0], [2.0, 3.0]]), ArrayDataAdapter)
    assert isinstance(get_data_adapter(iter([])), IterableDataAdapter)
    with pytest.raises(ValueError, match="Unrecognized data type"):
        get_data_adapter(object())


def test_epoch_iterator_with_steps_per_epoch_continues_a_generator() -> None:
    generator = ((np.full((2, 1), i), np.zeros(2)) for i in range(5))
    iterator = EpochIterator(generator, steps_per_epoch=2)
    first = [int(batches[0][0][0, 0]) for _, _, batches in iterator]
    second = [int(batches[0][0][0, 0]) for _, _, batches in iterator]
    assert first == [0, 1] and second == [2, 3]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        third = [int(batches[0][0][0, 0]) for _, _, batches in iterator]
    assert third == [4] and any("ran out of data" in str(w.message) for w in caught)


def test_epoch_iterator_groups_steps_per_execution() -> None:
    iterator = EpochIterator(np.zeros((10, 1)), batch_size=2, steps_per_execution=2)
    assert [(begin, end, len(batches)) for begin, end, batches in iterator] == [(0, 1, 2), (2, 3, 2), (4, 4, 1)]
    unknown = EpochIterator(iter([(np.zeros((1, 1)),)] * 3))
    assert unknown.num_batches is None
    assert len(list(unknown)) == 3 and unknown.num_batches == 3


def test_indexable_dataset_protocol() -> None:
    class Batches:  # Keras's PyDataset protocol: __len__, __getitem__ and on_epoch_end
        def __init__(self) -> None:
            self.epochs_ended = 0

        def __len__(self) -> int:
            return 3

        def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
            return np.full((2, 1), index, dtype="float32"), np.zeros(2)

        def on_epoch_end(self) -> None:
            self.epochs_ended += 1

    data = Batches()
    iterator = EpochIterator(data)
    assert iterator.num_batches == 3
    for _ in range(2):
        assert [int(batches[0][0][0, 0]) for _, _, batches in iterator] == [0, 1, 2]
    assert data.epochs_ended == 2
    model = sd.Sequential([sd.Input((1,)), sd.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    assert model.fit(data, epochs=2, verbose=0).params["steps"] == 3 and data.epochs_ended == 4


def test_errors_name_the_model_method_and_the_expected_and_actual_values() -> None:
    with pytest.raises(ValueError, match=r"^Model.fit/evaluate/predict: Data is expected to be in format .*"
                                         r"found a tuple of 4 elements \(int, int, int, str\)"):
        unpack_x_y_sample_weight((1, 2, 3, "w"))
    with pytest.raises(ValueError, match=r"^Model.fit/evaluate/predict: Data cardinality is ambiguous\. .*"
                                         r"got 'x' shapes: \(4, 1\); 'y' shapes: \(3,\)$"):
        ArrayDataAdapter(np.zeros((4, 1)), np.zeros(3))
    with pytest.raises(ValueError, match=r"'x' shapes: \(2, 1\), \(\); 'y' shapes: \(2,\)"):
        ArrayDataAdapter([np.zeros((2, 1)), np.float32(1.0)], np.zeros(2))  # a scalar has no samples
    with pytest.raises(ValueError, match=r"^Model.fit/evaluate/predict: `batch_size` must be a positive "
                                         r"integer or None, got batch_size=-4$"):
        ArrayDataAdapter(np.zeros((4, 1)), batch_size=-4)
    with pytest.raises(ValueError, match=r"got batch_size=2\.5$"):
        ArrayDataAdapter(np.zeros((4, 1)), batch_size=2.5)
    with pytest.raises(ValueError, match=r"^Model.fit/evaluate/predict: Unrecognized data type: x=object\. "
                                         r"Expected NumPy arrays"):
        get_data_adapter(object())
    with pytest.raises(ValueError, match=r"^Model.fit/evaluate/predict: `sample_weight` must not be given "
                                         r"when `x` is a generator or iterable \(generator\); got "
                                         r"sample_weight of type ndarray"):
        get_data_adapter((b for b in []), sample_weight=np.ones(2))


def test_fit_only_errors_name_model_fit() -> None:
    x, y = np.arange(10)[:, None], np.arange(10)
    with pytest.raises(ValueError, match=r"^Model.fit: Training data contains 1 samples, which is not "
                                         r"sufficient .*`validation_split=0.5` \(the split leaves 0 "
                                         r"training and 1 validation samples"):
        train_validation_split((x[:1], y[:1], None), 0.5)
    for bad in (1.0, 1.5, -0.2):
        with pytest.raises(ValueError, match=rf"^Model.fit: `validation_split` must be a fraction strictly "
                                             rf"between 0 and 1, got validation_split={bad}$"):
            train_validation_split((x, y, None), bad)
    with pytest.raises(ValueError, match=r"^Model.fit: `validation_split` is only supported for arrays "
                                         r"and tensors; got generator"):
        train_validation_split(((v for v in [1]), None, None), 0.5)
    weights = {0: 0.5, 2: 3.0}
    with pytest.raises(ValueError, match=r"^Model.fit: You cannot use `class_weight` and `sample_weight` "
                                         r"at the same time"):
        ArrayDataAdapter(np.zeros((2, 1)), np.zeros(2), sample_weight=np.ones(2), class_weight=weights)
    with pytest.raises(ValueError, match=r"^Model.fit: `class_weight` is only supported for models with a "
                                         r"single output; got targets `y` as a list of 2 arrays$"):
        ArrayDataAdapter(np.zeros((2, 1)), [np.zeros(2), np.zeros(2)], class_weight=weights)
    with pytest.raises(ValueError, match=r"^Model.fit: `class_weight` needs targets `y`, got y=None$"):
        ArrayDataAdapter(np.zeros((2, 1)), class_weight=weights)
    with pytest.raises(ValueError, match=r"^Model.fit/evaluate: for a model with several outputs, a single "
                                         r"`sample_weight` array .* got shape \(2, 3\)$"):
        ArrayDataAdapter(np.zeros((2, 1)), [np.zeros(2), np.zeros(2)], sample_weight=np.ones((2, 3)))


def test_class_weight_errors_show_the_bad_key_or_target_shape() -> None:
    with pytest.raises(ValueError, match=r"^Model.fit/train_on_batch: `class_weight` needs one class per "
                                         r"sample: .* got targets of shape \(2, 3, 4\)$"):
        class_weight_to_sample_weights(np.zeros((2, 3, 4)), {0: 2.0})
    with pytest.raises(ValueError, match=r"^Model.fit/train_on_batch: Expected `class_weight` to be a dict "
                                         r"with integer class indices as keys, got the key 'cat' \(str\)"):
        class_weight_to_sample_weights(np.array([0, 1]), {0: 1.0, "cat": 2.0})
    with pytest.raises(ValueError, match=r"got the key 1\.5 \(float\)"):
        class_weight_to_sample_weights(np.array([0, 1]), {1.5: 2.0})


def test_class_weight_negative_labels_and_float_keys_match_keras() -> None:
    # Keras looks every label up in the dict (class_weight.get(label, 1.0)): a negative label
    # gets its own entry or 1, never the weight of the class counted from the end.
    labels = np.array([-1, 0, 2, 1, -3])
    np.testing.assert_array_equal(class_weight_to_sample_weights(labels, {0: 0.5, 2: 3.0}), [1, 0.5, 3, 1, 1])
    np.testing.assert_array_equal(class_weight_to_sample_weights(labels, {-1: 7.0, 2.0: 3.0}), [7, 1, 3, 1, 1])


def test_ragged_lists_name_the_call_and_the_data() -> None:
    with pytest.raises(ValueError, match=r"^Model.fit/evaluate/predict: cannot turn the list \[\[1\.0, 2\.0\], "
                                         r"\[3\.0\]\] into one array: expected nested lists of equal lengths"):
        ArrayDataAdapter([[1.0, 2.0], [3.0]], np.zeros(2))
    model = sd.Sequential([sd.Input((2,)), sd.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"^Model.fit: cannot turn the list \[\[0\.0, 1\.0\], "
                                         r"\[2\.0\], \[3\.0, 4\.0, 5\.0, 6\.0, 7\.0, 8\.0, 9\.0, 1\.\.\. into one"):  # cut
        model.fit([[0.0, 1.0], [2.0], [float(v) for v in range(3, 40)]], np.zeros(3), verbose=0)


def test_model_methods_name_themselves_in_data_errors() -> None:
    model = sd.Sequential([sd.Input((2,)), sd.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((4, 2), np.float32), np.zeros(4, np.float32)
    ragged = [[0.0, 1.0], [2.0]]
    with pytest.raises(ValueError, match=r"^Model.fit: Data cardinality is ambiguous\."):
        model.fit(x, y[:3], verbose=0)
    with pytest.raises(ValueError, match=r"^Model.fit: Data is expected to be in format"):
        model.fit(x, y, validation_data=(x, y, y, y), verbose=0)
    with pytest.raises(ValueError, match=r"^Model.evaluate: Data cardinality is ambiguous\."):
        model.evaluate(x, y[:3], verbose=0)
    with pytest.raises(ValueError, match=r"^Model.evaluate: `batch_size` must be a positive integer"):
        model.evaluate(x, y, batch_size=-1, verbose=0)
    with pytest.raises(ValueError, match=r"^Model.predict: cannot turn the list"):
        model.predict(ragged, verbose=0)
    with pytest.raises(ValueError, match=r"^Model.predict: Unrecognized data type: x=object"):
        model.predict(object(), verbose=0)
    with pytest.raises(ValueError, match=r"^Model.fit: Data is expected to be in format .* 4 elements"):
        model.fit(((x, y, y, y) for _ in range(2)), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"^Model.fit: `class_weight` needs one class per sample"):
        model.fit(x, np.zeros((4, 1, 1)), class_weight={0: 1.0}, verbose=0)
    with pytest.raises(ValueError, match=r"^Model.train_on_batch: Expected `class_weight` to be a dict"):
        model.train_on_batch(x, y, class_weight={"a": 1.0})
