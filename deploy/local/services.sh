#!/usr/bin/env bash
# Start, stop and inspect the Kefu service processes on this machine.
#   deploy/local/services.sh start|stop|status|wait
# KEFU_ENV=run (default) uses the run databases, vhost `kefu` and port 8000;
# KEFU_ENV=test uses the *_test databases, vhost `kefu_test` and port 8800,
# so tests never touch the data of `make run`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
export KEFU_ENV=${KEFU_ENV:-run}
# shellcheck source=deploy/local/env.sh
. deploy/local/env.sh
# shellcheck source=deploy/local/registry.sh
. deploy/local/registry.sh
SERVICES=("${KEFU_SERVICES[@]}")
PY=$ROOT/.venv/bin/python

if [[ $KEFU_ENV == test ]]; then
  export KEFU_HTTP_ADDRESS=${KEFU_HTTP_ADDRESS:-127.0.0.1:8800} METRICS_OFFSET=100
else
  export KEFU_HTTP_ADDRESS=${KEFU_HTTP_ADDRESS:-127.0.0.1:8000} METRICS_OFFSET=0
fi
# Links in customers' messages (survey links) point at this system's own console.
export KEFU_PUBLIC_BASE_URL=${KEFU_PUBLIC_BASE_URL:-http://$KEFU_HTTP_ADDRESS}
for svc in "${SERVICES[@]}"; do
  up=$(tr '[:lower:]' '[:upper:]' <<<"$svc")
  export "KEFU_${up}_METRICS_ADDRESS=127.0.0.1:$((KEFU_METRICS_PORT[$svc] + METRICS_OFFSET))"
done
RUN=$KEFU_VAR/run/$KEFU_ENV
LOG=$KEFU_VAR/log/$KEFU_ENV
# -- private files: logs and pid files are the operator's alone (issue 9): every file
# this script and the services it starts create is 0600, their folders 0700, and logs
# an earlier run left readable are closed too.
umask 077
mkdir -p "$RUN" "$LOG"
chmod 700 "$RUN" "$LOG"
find "$LOG" -maxdepth 1 -type f -name '*.log' -exec chmod 600 {} +
# -- end of private files

running() { [[ -f $RUN/$1.pid ]] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

# The outside providers' local stand-in (simulators/, docs/providers.md): SMS, robots,
# webhooks and SMTP on loopback.  Started before the services (notify speaks to it and
# its secrets files must exist), stopped after them.
SIM=simulators

start_simulator() {
  running "$SIM" && return 0
  [[ -n $KEFU_PROVIDERS_URL ]] || { echo "no simulator address for KEFU_ENV=$KEFU_ENV" >&2; exit 1; }
  setsid nohup "$PY" -m simulators --http "${KEFU_PROVIDERS_URL#http://}" \
    --smtp "$KEFU_SMTP_ADDRESS" --callback-base "$KEFU_CALLBACK_BASE" \
    --secrets "$KEFU_VAR/secrets" --maildir "$KEFU_MAILDIR" >>"$LOG/$SIM.log" 2>&1 </dev/null &
  echo $! >"$RUN/$SIM.pid"
  local deadline=$((SECONDS + 15))
  until "$PY" -c "import sys, urllib.request as u; u.urlopen(sys.argv[1], timeout=2)" \
    "$KEFU_PROVIDERS_URL/_sim/stats" >/dev/null 2>&1; do
    running "$SIM" || { echo "$SIM exited; last log lines:" >&2; tail -20 "$LOG/$SIM.log" >&2; exit 1; }
    ((SECONDS < deadline)) || { echo "$SIM did not answer in 15 s; see $LOG/$SIM.log" >&2; exit 1; }
    sleep 0.3
  done
}

start() {
  start_simulator
  for svc in "${SERVICES[@]}"; do
    running "$svc" && continue
    setsid nohup "$PY" -m services.common.runner "$svc" >>"$LOG/$svc.log" 2>&1 </dev/null &
    echo $! >"$RUN/$svc.pid"
  done
  wait_healthy
}

stop_procs() { # names...: TERM, up to 10 s, then KILL
  for svc in "$@"; do
    running "$svc" || { rm -f "$RUN/$svc.pid"; continue; }
    kill -TERM "$(cat "$RUN/$svc.pid")" 2>/dev/null || true
  done
  for _ in $(seq 50); do
    alive=0
    for svc in "$@"; do running "$svc" && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 0.2
  done
  for svc in "$@"; do
    running "$svc" && kill -KILL "$(cat "$RUN/$svc.pid")" 2>/dev/null || true
    rm -f "$RUN/$svc.pid"
  done
}

stop() {
  stop_procs "${SERVICES[@]}"
  stop_procs "$SIM"
}

wait_healthy() {
  for _ in $(seq 120); do
    if "$PY" -c "import sys, urllib.request as u; u.urlopen(sys.argv[1], timeout=2)" \
      "http://$KEFU_HTTP_ADDRESS/healthz" >/dev/null 2>&1; then return 0; fi
    for svc in "${SERVICES[@]}"; do
      running "$svc" || { echo "$svc exited; last log lines:" >&2; tail -20 "$LOG/$svc.log" >&2; exit 1; }
    done
    sleep 0.5
  done
  echo "services did not become healthy in 60 s; see $LOG" >&2
  exit 1
}

status() {
  rc=0
  for svc in "$SIM" "${SERVICES[@]}"; do
    if running "$svc"; then echo "$svc: running (pid $(cat "$RUN/$svc.pid"))"; else echo "$svc: stopped"; rc=3; fi
  done
  return $rc
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  wait) wait_healthy ;;
  *) echo "usage: $0 start|stop|status|wait" >&2; exit 2 ;;
esac
