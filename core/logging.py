import logging

# Request headers that carry a client address (set by the client or by proxies).
ADDRESS_KEYS = ("REMOTE_ADDR", "HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")


class StripClientAddressFilter(logging.Filter):
    """Drop the client address from log records that carry the request.

    Complainants risk retaliation: no log line may tie a request to a network address.
    Django's request loggers attach the request to the record (error reporters and
    handlers may print its META); the address keys are removed before any handler sees
    it. Access logs of the web server in front (gunicorn, a reverse proxy) are outside
    Django: docs/security.md says how they are configured.
    """

    def filter(self, record):
        request = getattr(record, "request", None)
        meta = getattr(request, "META", None)
        if isinstance(meta, dict):
            for key in ADDRESS_KEYS:
                meta.pop(key, None)
        return True
