import threading

import pytest

from restyle.core.prefetch import prefetch


def test_items_come_prepared_in_order_from_one_worker_thread():
    threads = set()

    def prepare(x):
        threads.add(threading.get_ident())
        return x * x

    assert list(prefetch(iter(range(10)), prepare)) == [x * x for x in range(10)]
    assert len(threads) == 1 and threading.get_ident() not in threads


def test_an_error_is_raised_in_its_place():
    def items():
        yield 1
        yield 2
        raise ValueError("bad frame")

    seen = []
    with pytest.raises(ValueError, match="bad frame"):
        for x in prefetch(items(), lambda x: x):
            seen.append(x)
    assert seen == [1, 2]


def test_stopping_early_reads_at_most_a_few_items_ahead():
    read = []

    def items():
        for i in range(100):
            read.append(i)
            yield i

    stream = prefetch(items(), lambda x: x, ahead=2)
    assert next(stream) == 0
    stream.close()  # waits for the worker
    assert len(read) <= 4
