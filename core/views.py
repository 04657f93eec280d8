from django.http import HttpResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    """Liveness for load balancers and docker-compose; also the benchmark's baseline:
    the cheapest request the same gunicorn can serve (no database, no template)."""
    return HttpResponse("ok", content_type="text/plain")
