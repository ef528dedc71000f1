from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("ironrelay/", include("ironrelay.urls")),
    # The customer portal: each logged-in customer manages its own webhook endpoints.
    path("webhooks/", include("ironrelay.portal.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="shop/login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page="/"), name="logout"),
    path("", include("shop.urls")),
]
