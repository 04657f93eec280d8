"""Keep the list of a user's sessions (accounts.models.UserSession) in step with logging
in and out. Bookkeeping, not domain logic: nothing else depends on these rows."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from .models import UserSession


@receiver(user_logged_in, dispatch_uid="accounts.session_record")
def _logged_in(sender, request, user, **kwargs):
    from .services import session_record

    if getattr(request, "session", None) is not None:
        session_record(request=request, user=user)


@receiver(user_logged_out, dispatch_uid="accounts.session_forget")
def _logged_out(sender, request, user, **kwargs):
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        UserSession.objects.filter(session_key=key).delete()
