"""Background tasks: a new task cancels the one in flight, a late result is dropped, errors reach one place."""

from __future__ import annotations

import threading

from sandbox_app.errors import ShareError
from sandbox_app.ui.common.tasks import TaskRunner
from synthetic.progress import Cancelled


def test_a_superseded_task_is_cancelled_and_its_result_never_lands(qtbot):
    runner = TaskRunner()
    release, started = threading.Event(), threading.Event()
    seen_cancel = []

    def slow(state):
        started.set()
        release.wait(10)
        seen_cancel.append(state.is_cancelled())
        return "old"

    results = []
    runner.finished.connect(results.append)
    runner.start(slow)
    assert started.wait(10)
    with qtbot.waitSignal(runner.finished, timeout=10_000):
        runner.start(lambda state: "new")
    release.set()
    qtbot.waitUntil(lambda: bool(seen_cancel), timeout=10_000)
    runner.shutdown()
    assert results == ["new"]
    assert seen_cancel == [True]


def test_a_task_that_raises_cancelled_reports_cancelled_not_a_result(qtbot):
    runner = TaskRunner()

    def stop(state):
        state.cancel()
        raise Cancelled()

    with qtbot.waitSignal(runner.cancelled, timeout=10_000):
        runner.start(stop)
    assert not runner.busy
    runner.shutdown()


def test_user_errors_and_bugs_are_reported_as_sentences(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("CITY_SANDBOX_DATA", str(tmp_path))
    runner = TaskRunner()

    def bad_share(state):
        raise ShareError("tables[0].table: unknown table 'x'")

    with qtbot.waitSignal(runner.failed, timeout=10_000) as blocker:
        runner.start(bad_share)
    assert "unknown table" in blocker.args[0]

    def bug(state):
        return 1 / 0

    with qtbot.waitSignal(runner.failed, timeout=10_000) as blocker:
        runner.start(bug)
    assert "Traceback" not in blocker.args[0] and "log" in blocker.args[0]
    runner.shutdown()


def test_progress_is_forwarded_only_when_the_shown_percent_changes(qtbot):
    runner = TaskRunner()
    seen = []
    runner.progress.connect(lambda fraction, status: seen.append(round(fraction, 3)))

    def work(state):
        for i in range(1000):
            state.set_progress(i / 1000)
        return None

    with qtbot.waitSignal(runner.finished, timeout=10_000):
        runner.start(work)
    qtbot.wait(50)
    runner.shutdown()
    assert 0 < len(seen) <= 100
