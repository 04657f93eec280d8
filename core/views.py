from django.http import HttpResponse, HttpResponseForbidden, HttpResponseNotFound, JsonResponse
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
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
# whose id is not an int); everyone else gets the site's pages (templates/403.html,
# 404.html: the site's header and ways back; 400.html and 500.html render without the
# request or the database).


def _is_api(request):
    return request.path.startswith(API_PREFIX)


def _json_error(detail, status):
    return JsonResponse({"detail": detail}, status=status)


def _back_url(request):
    """The page the visitor came from, if it is one of ours (never an outside site, never
    the page that failed)."""
    referer = request.META.get("HTTP_REFERER", "")
    if not referer or referer == request.build_absolute_uri():
        return ""
    safe = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return referer if safe else ""


def _error_page(request, template_name, response_class):
    # Not Django's bare page: the exception's text is not shown (it may name an object
    # the visitor may not know about); the ways back are.
    template = loader.get_template(template_name)
    body = template.render({"back_url": _back_url(request)}, request)
    return response_class(body)


@requires_csrf_token
def bad_request(request, exception, template_name=defaults.ERROR_400_TEMPLATE_NAME):
    if _is_api(request):
        return _json_error("Bad request.", 400)
    return defaults.bad_request(request, exception, template_name)


@requires_csrf_token
def permission_denied(request, exception, template_name=defaults.ERROR_403_TEMPLATE_NAME):
    if _is_api(request):
        return _json_error("You do not have permission to perform this action.", 403)
    return _error_page(request, template_name, HttpResponseForbidden)


@requires_csrf_token
def page_not_found(request, exception, template_name=defaults.ERROR_404_TEMPLATE_NAME):
    if _is_api(request):
        return _json_error("Not found.", 404)
    return _error_page(request, template_name, HttpResponseNotFound)


@requires_csrf_token
def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    if _is_api(request):
        return _json_error("A server error occurred.", 500)
    return defaults.server_error(request, template_name)
