from __future__ import annotations

from django.test import override_settings

from ironrelay.tasks.decorator import task
from ironrelay.tasks.retry import backoff_delay


def test_backoff_grows_exponentially_without_jitter():
    delays = [backoff_delay(n, base=2, factor=2, cap=1000, jitter=0) for n in range(1, 6)]
    assert delays == [2, 4, 8, 16, 32]


def test_backoff_is_capped():
    assert backoff_delay(30, base=2, factor=2, cap=60, jitter=0) == 60


def test_backoff_jitter_stays_within_band():
    delays = {backoff_delay(4, base=1, factor=2, cap=100, jitter=0.5) for _ in range(200)}
    assert all(4 <= d <= 8 for d in delays)
    assert len(delays) > 1  # jitter really varies the delay


def test_task_retry_delay_uses_global_settings_by_default():
    @task
    def plain() -> None: ...

    with override_settings(
        IRONRELAY={"RETRY_BACKOFF": 3, "RETRY_BACKOFF_FACTOR": 3, "RETRY_JITTER": 0}
    ):
        assert plain.retry_delay(1) == 3
        assert plain.retry_delay(3) == 27


def test_task_retry_delay_per_task_options_win():
    @task(retry_backoff=10, retry_backoff_max=15, retry_jitter=0)
    def custom() -> None: ...

    assert custom.retry_delay(1) == 10
    assert custom.retry_delay(2) == 15
