"""URLs for path("webhooks/", include("ironrelay.portal.urls")): pages, and the API under api/."""

from __future__ import annotations

from django.urls import path

from ironrelay.portal import actions, api, edit, pages

app_name = "ironrelay_portal"
E = "endpoints/<str:pk>/"
D = E + "messages/<str:delivery_pk>/"
A = "api/endpoints/<str:pk>/"
urlpatterns = [
    path("", pages.endpoint_list, name="endpoint_list"),
    path("event-types/", pages.event_types, name="event_types"),
    path("endpoints/add/", edit.endpoint_add, name="endpoint_add"),
    path(E, pages.endpoint_detail, name="endpoint_detail"),
    path(E + "edit/", edit.endpoint_edit, name="endpoint_edit"),
    path(E + "delete/", edit.endpoint_delete, name="endpoint_delete"),
    path(E + "secret/", actions.secret_reveal, name="secret_reveal"),
    path(E + "secret/rotate/", actions.secret_rotate, name="secret_rotate"),
    path(E + "test/", actions.send_test, name="send_test"),
    path(E + "recover/", actions.recover, name="recover"),
    path(E + "enable/", actions.enable, name="enable"),
    path(E + "disable/", actions.disable, name="disable"),
    path(D, pages.delivery_detail, name="delivery_detail"),
    path(D + "redeliver/", actions.redeliver, name="redeliver"),
    path("api/openapi.json", api.openapi, name="api_openapi"),
    path("api/event-types", api.event_types, name="api_event_types"),
    path("api/endpoints", api.endpoints, name="api_endpoints"),
    path(A[:-1], api.endpoint, name="api_endpoint"),
    path(A + "secret", api.secret, name="api_secret"),
    path(A + "secret/rotate", api.secret_rotate, name="api_secret_rotate"),
    path(A + "enable", api.enable, name="api_enable"),
    path(A + "disable", api.disable, name="api_disable"),
    path(A + "test", api.send_test, name="api_send_test"),
    path(A + "recover", api.recover, name="api_recover"),
    path(A + "deliveries", api.deliveries, name="api_deliveries"),
    path(A + "deliveries/<str:delivery_pk>", api.delivery, name="api_delivery"),
    path(A + "deliveries/<str:delivery_pk>/redeliver", api.redeliver, name="api_redeliver"),
]
