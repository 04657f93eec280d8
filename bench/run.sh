#!/usr/bin/env bash
# The benchmark suite: seed (if needed), serve with gunicorn under production settings,
# run a Celery worker, measure with wrk as a second process, print one table.
# Usage: make bench            (SCALE=small make bench for a quick run)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
SCALE=${SCALE:-large}
PORT=${BENCH_PORT:-8100}
export BENCH_DB=${BENCH_DB:-wsr_bench_${SCALE}}
export DJANGO_SETTINGS_MODULE=config.settings.production
export DATABASE_URL=${BENCH_DATABASE_URL:-postgres:///${BENCH_DB}}
export DJANGO_SECRET_KEY=bench-not-secret-$(hostname)
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
export DJANGO_SECURE_SSL_REDIRECT=false
export FIELD_ENCRYPTION_KEYS=${FIELD_ENCRYPTION_KEYS:-hP2kV6bBDo4dTf3mR2PCHqP1GxgqVQpIYRzSxQ3ZKUo=}
export RECEIPT_CODE_HMAC_KEY=bench-receipt-key
export AUDIT_CHECKPOINT_KEY=bench-checkpoint-key
export REDIS_URL=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/12}
export CELERY_BROKER_URL=$REDIS_URL
export CACHE_URL=${BENCH_CACHE_URL:-redis://127.0.0.1:6379/13}
export CACHE_KEY_PREFIX=bench
# Load generation is not abuse: lift the public throttles for the measured run.
export PUBLIC_SUBMIT_RATE=100000/min RECEIPT_LOOKUP_RATE=100000/min
# Mail is built and handed to a backend (the cost is measured) but not sent anywhere.
export EMAIL_BACKEND=${BENCH_EMAIL_BACKEND:-django.core.mail.backends.locmem.EmailBackend}
export LOG_LEVEL=WARNING
export BENCH_BASE_URL=http://127.0.0.1:${PORT}
mkdir -p bench/results var

command -v wrk >/dev/null || { echo "wrk is required: apt-get install -y wrk"; exit 1; }
createdb "$BENCH_DB" 2>/dev/null || true
$VENV/bin/python manage.py migrate --noinput -v0
$VENV/bin/python bench/seed_scale.py --scale "$SCALE"
$VENV/bin/python manage.py collectstatic --noinput -v0

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
# As shipped: the Dockerfile's gunicorn command runs 3 sync workers.
$VENV/bin/gunicorn config.wsgi:application --bind 127.0.0.1:${PORT} --workers ${BENCH_WORKERS:-3} --threads 1 \
  --worker-class sync --max-requests 0 --access-logfile /dev/null --error-logfile var/bench-gunicorn.log &
pids+=($!)
echo $! > var/bench-gunicorn.pid
$VENV/bin/celery -A config worker -Q default,reports --concurrency 2 --loglevel WARNING \
  --logfile var/bench-celery.log &
pids+=($!)
for _ in $(seq 50); do curl -fs "$BENCH_BASE_URL/healthz/" >/dev/null && break; sleep 0.2; done
$VENV/bin/python bench/measure.py --scale "$SCALE" "$@"
