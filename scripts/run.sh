#!/usr/bin/env bash
# Start the web server, a Celery worker (queues default and reports) and Celery beat;
# stop all three on Ctrl-C or when any one of them exits. Called by `make run`.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
VENV=${VENV:-.venv}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
mkdir -p var

pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "Stopping web server, worker and beat..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null
  echo "Stopped."
}
trap 'stop; exit 130' INT TERM
trap stop EXIT

"$PY" manage.py runserver --noreload --skip-checks "$HOST:$PORT" &
pids+=($!)
"$VENV/bin/celery" -A config worker -Q default,reports -l info --concurrency 2 -n "wsr-dev-$$@%h" &
pids+=($!)
"$VENV/bin/celery" -A config beat -l info -s var/celerybeat-schedule &
pids+=($!)

sleep 2
"$PY" manage.py seed_demo --logins --skip-checks
cat <<MSG

  WSR Platform is running:  http://$HOST:$PORT/
    staff workspace         http://$HOST:$PORT/p/
    buyer portal            http://$HOST:$PORT/buyer/
    API docs                http://$HOST:$PORT/api/docs/
  Press Ctrl-C to stop the web server, the Celery worker and Celery beat.

MSG

# Any one process ending (a crash, a port in use) stops the others.
wait -n "${pids[@]}"
status=$?
echo "One of the processes ended (status $status); stopping the others."
exit "$status"
