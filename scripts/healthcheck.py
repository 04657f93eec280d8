"""Container health check for the web service: GET /healthz/ on the local gunicorn.

Sends a Host from DJANGO_ALLOWED_HOSTS (Django refuses unknown hosts); /healthz/ is exempt
from the HTTPS redirect. Exit 0 when healthy, 1 otherwise. Standard library only.
"""

import os
import sys
import urllib.request

host = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost").split(",")[0].strip().lstrip(".")
port = os.environ.get("PORT", "8000")
request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz/", headers={"Host": host})
try:
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (fixed local URL)
        sys.exit(0 if response.status == 200 else 1)
except Exception as exc:  # any failure means unhealthy
    print(f"unhealthy: {exc}", file=sys.stderr)
    sys.exit(1)
