from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from programs.selectors import memberships_for_user


@login_required
def home(request):
    """After login: the user's programs (one program goes straight to its workspace)."""
    memberships = list(memberships_for_user(user=request.user))
    internal = [m for m in memberships if m.role != "buyer_officer"]
    if len(internal) == 1 and len(memberships) == 1:
        return redirect("programs:dashboard", program=internal[0].program.slug)
    if memberships and not internal:
        return redirect("buyer:portal")
    return render(request, "home.html", {"memberships": memberships})


@never_cache
def healthz(request):
    """Liveness for load balancers and docker-compose; also the benchmark's baseline:
    the cheapest request the same gunicorn can serve (no database, no template)."""
    return HttpResponse("ok", content_type="text/plain")
