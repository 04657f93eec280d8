from django.http import HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token

API_PREFIX = "/api/"


@never_cache
def healthz(request):
    """Liveness for load balancers and docker-compose; also the benchmark's baseline:
    the cheapest request the same gunicorn can serve (no database, no template)."""
    return HttpResponse("ok", content_type="text/plain")


# Django's error handlers (config/urls.py: handler400/403/404/500). An API client gets
# the same JSON shape as DRF's errors ({"detail": "..."}), also for the errors raised
# before any DRF view runs (a path that matches no route, e.g. /api/v1/buyer/agreements/t/
# whose id is not an int); everyone else gets Django's default HTML pages.


def _is_api(request):
    return request.path.startswith(API_PREFIX)


def _json_error(detail, status):
    return JsonResponse({"detail": detail}, status=status)


@requires_csrf_token
def bad_request(request, exception, template_name=defaults.ERROR_400_TEMPLATE_NAME):
    if _is_api(request):
        return _json_error("Bad request.", 400)
    return defaults.bad_request(request, exception, template_name)


@requires_csrf_token
def permission_denied(request, exception, template_name=defaults.ERROR_403_TEMPLATE_NAME):
    if _is_api(request):
        return _json_error("You do not have permission to perform this action.", 403)
    return defaults.permission_denied(request, exception, template_name)


@requires_csrf_token
def page_not_found(request, exception, template_name=defaults.ERROR_404_TEMPLATE_NAME):
    if _is_api(request):
        return _json_error("Not found.", 404)
    return defaults.page_not_found(request, exception, template_name)


@requires_csrf_token
def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    if _is_api(request):
        return _json_error("A server error occurred.", 500)
    return defaults.server_error(request, template_name)
