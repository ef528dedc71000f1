from django.urls import path

from scripts.loadproject.views import bare_insert
from tests.urls import urlpatterns as tests_urlpatterns

urlpatterns = [*tests_urlpatterns, path("bare/", bare_insert)]
