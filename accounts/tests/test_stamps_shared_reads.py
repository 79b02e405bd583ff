"""core.stamps' shared reads (how concurrent callers in one process read a stamp in Redis): callers share
runs of the read, yet each gets the answer of a run that began after it arrived, so it sees every bump
completed before it asked, as its own GET would."""

import itertools
import threading
import time

import pytest

from core.stamps import _SharedRead


def test_each_caller_gets_a_read_begun_after_it_arrived_and_a_burst_shares_a_few_reads():
    began: dict[int, float] = {}
    numbers = itertools.count(1)

    def slow_read():  # a network round trip: other callers arrive while it is under way
        n = next(numbers)
        began[n] = time.monotonic()
        time.sleep(0.02)
        return n

    shared = _SharedRead(slow_read)
    got: list[tuple[float, int]] = []
    start = threading.Barrier(50)

    def call(delay):
        start.wait()
        time.sleep(delay)
        arrived = time.monotonic()
        got.append((arrived, shared.get()))

    threads = [threading.Thread(target=call, args=(i * 0.001,)) for i in range(50)]  # over ~50 ms: mid-read too
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(got) == 50
    assert [(arrived, n) for arrived, n in got if began[n] < arrived] == []
    # Reads run one after another, each at least 20 ms: the callers' arrivals span room for this many.
    span = max(arrived for arrived, _ in got) - min(arrived for arrived, _ in got)
    assert len(began) <= span / 0.02 + 2 < 50


def test_a_failed_read_is_raised_to_the_callers_that_waited_for_it_and_the_next_caller_reads_again():
    answers = iter([ConnectionError("redis down"), "stamp-2"])

    def read():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    shared = _SharedRead(read)
    with pytest.raises(ConnectionError):
        shared.get()
    assert shared.get() == "stamp-2"


def test_a_caller_with_a_max_age_takes_a_recent_read_unless_this_process_changed_the_value_since():
    reads = itertools.count(1)
    shared = _SharedRead(lambda: next(reads))
    assert shared.get() == 1
    assert shared.get(max_age=60) == 1  # the read began within the minute: shared
    assert shared.get() == 2  # no max_age: a read begun after the call
    shared.forget()  # this process bumped the stamp
    assert shared.get(max_age=60) == 3
    time.sleep(0.05)
    assert shared.get(max_age=0.01) == 4  # the last read began too long ago
