"""The project's URLs plus one that fails, for the browser test of the 500 page."""

from django.urls import path

from config.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


def _fail(request):
    raise RuntimeError("a deliberate failure for the 500 page test")


urlpatterns = [path("test-failure/", _fail), *urlpatterns]
