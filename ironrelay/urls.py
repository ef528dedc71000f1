"""URLs for include("ironrelay.urls"): the dashboard and the incoming webhook endpoint."""

from __future__ import annotations

from django.urls import path

from ironrelay.dashboard import actions, endpoints, schedules, views
from ironrelay.views import IncomingWebhookView

app_name = "ironrelay"
urlpatterns = [
    path("incoming/<str:source>/", IncomingWebhookView.as_view(), name="incoming"),
    path("", views.overview, name="dashboard"),
    path("summary.json", views.summary_json, name="summary_json"),
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/retry/", actions.task_bulk_retry, name="task_bulk_retry"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/retry/", actions.task_retry, name="task_retry"),
    path("tasks/<int:pk>/cancel/", actions.task_cancel, name="task_cancel"),
    path("queues/", views.queue_list, name="queue_list"),
    path("queues/<str:name>/pause/", actions.queue_pause, name="queue_pause"),
    path("queues/<str:name>/resume/", actions.queue_resume, name="queue_resume"),
    path("webhooks/", views.webhook_list, name="webhook_list"),
    path("webhooks/<int:pk>/", views.webhook_detail, name="webhook_detail"),
    path("webhooks/<int:pk>/replay/", actions.webhook_replay, name="webhook_replay"),
    path("deliveries/", views.delivery_list, name="delivery_list"),
    path("deliveries/<int:pk>/", views.delivery_detail, name="delivery_detail"),
    path("deliveries/<int:pk>/redeliver/", actions.delivery_redeliver, name="delivery_redeliver"),
    path("deliveries/<int:pk>/retry-now/", actions.delivery_retry_now, name="delivery_retry_now"),
    path("endpoints/", views.endpoint_list, name="endpoint_list"),
    path("endpoints/add/", endpoints.endpoint_add, name="endpoint_add"),
    path("endpoints/<int:pk>/", views.endpoint_detail, name="endpoint_detail"),
    path("endpoints/<int:pk>/edit/", endpoints.endpoint_edit, name="endpoint_edit"),
    path("endpoints/<int:pk>/delete/", endpoints.endpoint_delete, name="endpoint_delete"),
    path("endpoints/<int:pk>/enable/", actions.endpoint_enable, name="endpoint_enable"),
    path("endpoints/<int:pk>/disable/", actions.endpoint_disable, name="endpoint_disable"),
    path("endpoints/<int:pk>/rotate/", actions.endpoint_rotate, name="endpoint_rotate"),
    path("schedules/", views.schedule_list, name="schedule_list"),
    path("schedules/add/", schedules.schedule_add, name="schedule_add"),
    path("schedules/<int:pk>/", views.schedule_detail, name="schedule_detail"),
    path("schedules/<int:pk>/edit/", schedules.schedule_edit, name="schedule_edit"),
    path("schedules/<int:pk>/run/", actions.schedule_run_now, name="schedule_run_now"),
    path("schedules/<int:pk>/pause/", actions.schedule_pause, name="schedule_pause"),
    path("schedules/<int:pk>/resume/", actions.schedule_resume, name="schedule_resume"),
    path("schedules/<int:pk>/delete/", schedules.schedule_delete, name="schedule_delete"),
]
