"""Form helpers shared by the apps' HTML views."""

from django.core.exceptions import ValidationError

from core.errors import DomainError
from core.storage import StorageUnavailable


def run_service(form, service, **kwargs):
    """Call a service from a valid form; put a refusal on the form instead of a 500.

    Returns the service's result, or None when the form now carries the error (the
    user's input stays in the form: nothing they typed is lost).
    """
    try:
        return service(**kwargs)
    except DomainError as exc:
        form.add_error(None, exc.message)
    except StorageUnavailable:
        # Object storage down or hung: the service's transaction rolled back.
        form.add_error(
            None,
            "The file could not be stored just now; nothing was saved. Try again in a few minutes.",
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                target = field if field in form.fields else None
                for error in errors:
                    form.add_error(target, error)
        else:
            for error in exc.messages:
                form.add_error(None, error)
    return None
