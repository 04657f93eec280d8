# The WSR Platform image: gunicorn (web), Celery worker and Celery beat all run from it.

# Front-end libraries from npm (Leaflet, Chart.js), installed from the lockfile.
FROM node:22-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json* ./
RUN if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi

FROM python:3.13-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    MEDIA_ROOT=/app/var/media

# WeasyPrint renders PDFs with Pango/HarfBuzz; Noto covers Latin, Bengali and more.
# gettext compiles the translations; the PostgreSQL client is for backups/restores.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
        fonts-noto-core fonts-noto-ui-core gettext postgresql-client \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 wsr \
    && useradd --system --uid 10001 --gid wsr --home-dir /app --shell /usr/sbin/nologin wsr

WORKDIR /app
# Dependencies first, so code changes do not reinstall them: exactly the runtime lock
# (every package of the tree pinned and hash-checked; `make lock` writes it).
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY --from=assets /build/node_modules ./node_modules
COPY . .

# Static files and translations are baked into the image. collectstatic needs settings to
# import; these throwaway values exist only for this build step.
RUN find . -path ./node_modules -prune -o -name '*.po' -print \
        | while read -r po; do msgfmt -o "${po%.po}.mo" "$po"; done \
    && DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=localhost \
       FIELD_ENCRYPTION_KEYS=hP2kV6bBDo4dTf3mR2PCHqP1GxgqVQpIYRzSxQ3ZKUo= \
       RECEIPT_CODE_HMAC_KEY=build-only \
       AUDIT_CHECKPOINT_KEY=build-only \
       python manage.py collectstatic --noinput -v 0 \
    && mkdir -p /app/var/media /app/var/backups /app/var/beat \
    && chown -R wsr:wsr /app/var

USER wsr
EXPOSE 8000
# No client address in the access log (complainants' privacy), no query strings.
# --max-requests (with jitter, so the workers do not restart together) bounds what a
# worker's memory can grow to.
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--timeout", "60", "--max-requests", "1000", "--max-requests-jitter", "100", \
     "--access-logfile", "-", \
     "--access-logformat", "%(t)s \"%(m)s %(U)s\" %(s)s %(b)s %(M)sms"]
