from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from example_project.council_host.auth import TokenLoginView, TokenLogoutView

urlpatterns = [
    path("admin/", admin.site.urls),
    # The example host's token scheme, so that the suite runs with the authentication integrators use.
    path("api/auth/token/", TokenLoginView.as_view(), name="api-token"),
    path("api/auth/logout/", TokenLogoutView.as_view(), name="api-token-logout"),
    path("api/safety/", include("safety_workflow.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
]
