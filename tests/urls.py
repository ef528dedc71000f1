from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("ironrelay/", include("ironrelay.urls")),
    path("webhooks/", include("ironrelay.portal.urls")),
]
