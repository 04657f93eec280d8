from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from programs.selectors import memberships_for_user

__all__ = ["home"]


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
