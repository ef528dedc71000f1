from __future__ import annotations

import pytest

from ironrelay import task
from ironrelay.tasks.decorator import TaskFunction
from ironrelay.tasks.errors import TaskArgumentError
from ironrelay.tasks.registry import get_task, registered_tasks


@task
def add(a: int, b: int) -> int:
    return a + b


@task(queue="emails", priority=7, max_attempts=5, timeout=3, retry_backoff=1.5)
def configured(x: int) -> int:
    return x


class TestTaskDecorator:
    def test_task_bare_decorator_keeps_function_callable_inline(self):
        assert isinstance(add, TaskFunction)
        assert add(2, 3) == 5

    def test_task_path_is_module_and_qualname(self):
        assert add.path == "tests.unit.test_task_decorator.add"

    def test_task_options_are_stored(self):
        assert (configured.queue, configured.priority, configured.max_attempts) == ("emails", 7, 5)
        assert configured.timeout == 3
        assert configured.retry_backoff == 1.5

    def test_task_is_registered_by_path(self):
        assert registered_tasks()[add.path] is add
        assert get_task(add.path) is add

    def test_task_unknown_option_is_rejected_with_its_name(self):
        with pytest.raises(TaskArgumentError, match="colour"):
            task(colour="red")(lambda: None)

    def test_task_priority_out_of_range_is_rejected(self):
        with pytest.raises(TaskArgumentError, match="priority"):
            task(priority=500)(lambda: None)

    def test_using_returns_changed_copy(self):
        later = configured.using(priority=1, queue="bulk", delay=30)
        assert (later.priority, later.queue, later.delay) == (1, "bulk", 30)
        assert (configured.priority, configured.queue, configured.delay) == (7, "emails", None)

    def test_using_delay_replaces_run_after(self):
        from datetime import datetime, timezone

        at = datetime(2030, 1, 1, tzinfo=timezone.utc)
        assert add.using(run_after=at).using(delay=5).run_after is None

    def test_using_delay_and_run_after_together_is_an_error(self):
        from datetime import datetime, timezone

        with pytest.raises(TaskArgumentError, match="not both"):
            add.using(delay=5, run_after=datetime(2030, 1, 1, tzinfo=timezone.utc))


class TestGetTask:
    def test_get_task_imports_module_not_yet_loaded(self):
        found = get_task("tests.testapp.tasks.noop")
        assert found.path == "tests.testapp.tasks.noop"

    def test_get_task_missing_module_names_the_path(self):
        from ironrelay.tasks.errors import TaskNotFound

        with pytest.raises(TaskNotFound, match=r"gone\.module\.fn"):
            get_task("gone.module.fn")

    def test_get_task_plain_function_is_refused(self):
        from ironrelay.tasks.errors import TaskNotFound

        with pytest.raises(TaskNotFound, match="@task decorator missing"):
            get_task("os.path.join")
