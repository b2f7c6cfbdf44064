"""The benchmark harness's interleaving: every framework after every other, never after itself."""

import itertools

import pytest

from benchmarks import timing


@pytest.mark.parametrize("count", [2, 3, 4, 5])
def test_balanced_order_has_every_ordered_pair_once(count):
    order = timing.balanced_order(count)
    successions = [(order[i], order[(i + 1) % len(order)]) for i in range(len(order))]
    expected = [pair for pair in itertools.permutations(range(count), 2)]
    assert sorted(successions) == sorted(expected)


@pytest.mark.parametrize("count", [0, 1])
def test_balanced_order_of_fewer_than_two(count):
    assert timing.balanced_order(count) == list(range(count))


def test_compare_never_times_a_function_right_after_itself(monkeypatch):
    monkeypatch.setattr(timing, "_THREADS", [1])
    calls = []
    fns = {name: (lambda name=name: calls.append(name)) for name in ("a", "b", "c")}
    times = timing.compare({**fns, "absent": None}, repeats=7, warmup=1)
    timed = calls[3:]  # after one warm-up call each
    assert all(first != second for first, second in zip(timed, timed[1:]))
    assert {name: timed.count(name) for name in fns} == {"a": 8, "b": 8, "c": 8}
    predecessors = {(first, second) for first, second in zip(timed, timed[1:])}
    assert predecessors == set(itertools.permutations("abc", 2))
    assert times["absent"] is None and all(times[name] >= 0.0 for name in fns)
    assert timing.compare({"absent": None}, repeats=3) == {"absent": None}


def test_compare_with_several_threads_times_blocks_after_an_untimed_call(monkeypatch):
    monkeypatch.setattr(timing, "_THREADS", [4])
    monkeypatch.setattr(timing, "POOL_SETTLE_SECONDS", 0.0)
    calls = []
    fns = {name: (lambda name=name: calls.append(name)) for name in ("a", "b")}
    timing.compare(fns, repeats=8, warmup=0)
    # four rounds, alternating order, each block one untimed call and two timed ones
    assert "".join(calls) == "aaabbb" "bbbaaa" "aaabbb" "bbbaaa"
