"""URLs of the API. A host mounts them with ``path("api/safety/", include("safety_workflow.api.urls"))``."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .bundles import BundleViewSet

app_name = "safety_workflow"

router = SimpleRouter()
router.register("bundles", BundleViewSet, basename="bundle")

urlpatterns = [
    path("", include(router.urls)),
]
