"""The watched local worker processes (``pipeline.batch.workers``); the batch's use of them is in test_batch."""

import operator
import os
import signal

import pytest

from pipeline.batch.workers import Failure, WorkerPool, death_reason

pytestmark = pytest.mark.slow  # starts worker processes


def test_tasks_come_back_with_their_results():
    with WorkerPool(2, initializer=os.getpid) as pool:
        assert sorted(pool.run([1, 2, 3], operator.add)) == [(1, 2), (2, 3), (3, 4)]  # fn(task, attempt 1)


def test_workers_that_cannot_start_fail_the_tasks_instead_of_starting_again_and_again():
    with WorkerPool(2, initializer=os.abort) as pool:
        outcomes = list(pool.run(["a", "b"], operator.add))
    assert [task for task, _ in outcomes] == ["a", "b"]
    assert all(isinstance(f, Failure) and f.reason.startswith("no worker process could start") for _, f in outcomes)


@pytest.mark.parametrize("exitcode, reason", [
    (-signal.SIGKILL, "worker process died (killed by signal 9: out of memory?)"),
    (-signal.SIGSEGV, "worker process died (killed by signal 11 (SIGSEGV))"),
    (1, "worker process died (exit status 1)"),
])
def test_death_reasons(exitcode, reason):
    assert death_reason(exitcode) == reason
