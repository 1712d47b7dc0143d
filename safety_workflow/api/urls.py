"""URLs of the API. A host mounts them with ``path("api/safety/", include("safety_workflow.api.urls"))``."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

app_name = "safety_workflow"

router = SimpleRouter()

urlpatterns = [
    path("", include(router.urls)),
]
