#!/usr/bin/env bash
# Local infrastructure for development and tests: a private PostgreSQL 15 cluster
# and a private RabbitMQ node, both living under $KEFU_VAR (default: <repo>/var)
# on non-default ports, so they never clash with a system postgres/rabbitmq.
# Usage: deploy/local/stack.sh install|start|stop|status|restart-rabbit|restart-pg|reset-test-dbs
set -euo pipefail
umask 022  # daemons (other users) must be able to read what we create; secrets use 077

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VAR=${KEFU_VAR:-$ROOT/var}
[[ $VAR = /* ]] || VAR=$PWD/$VAR
PG_PORT=${KEFU_PG_PORT:-15432}
AMQP_PORT=${KEFU_AMQP_PORT:-5682}
MGMT_PORT=${KEFU_RABBIT_MGMT_PORT:-15682}
# shellcheck source=deploy/local/registry.sh
. "$ROOT/deploy/local/registry.sh"

PGBIN=/usr/lib/postgresql/15/bin
PG_DATA=$VAR/pg/data PG_RUN=$VAR/pg/run PG_LOG=$VAR/pg/log
RMQ=$VAR/rabbitmq NODE=kefu@localhost SECRETS=$VAR/secrets
# The server and rabbitmqctl must read the same Erlang cookie. We give both the
# HOME that /usr/sbin/rabbitmqctl uses when root calls it (rabbitmq's home), so
# a manual `rabbitmqctl -n kefu@localhost ...` as root also works.
RMQ_HOME=$(getent passwd rabbitmq | cut -d: -f6) || RMQ_HOME=/var/lib/rabbitmq
# advanced.config and rabbitmq-env.conf never exist: they only stop /etc/rabbitmq
# (the system node's config) from leaking in. Bind type u: don't pin schedulers
# to the 2 cores we share with postgres.  Erlang distribution (the node's port and
# epmd, which names it) listens on loopback only, like everything else here.
LOOPBACK_DIST="-kernel inet_dist_use_interface {127,0,0,1}"
RMQ_ENV=(HOME="$RMQ_HOME" RABBITMQ_NODENAME="$NODE" RABBITMQ_DIST_PORT=$((AMQP_PORT + 20000))
  ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="$LOOPBACK_DIST"
  RABBITMQ_CTL_ERL_ARGS="$LOOPBACK_DIST"
  RABBITMQ_MNESIA_BASE="$RMQ/mnesia" RABBITMQ_LOG_BASE="$RMQ/log" RABBITMQ_PID_FILE="$RMQ/kefu.pid"
  RABBITMQ_CONFIG_FILE="$RMQ/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ/enabled_plugins"
  RABBITMQ_ADVANCED_CONFIG_FILE="$RMQ/advanced.config" RABBITMQ_CONF_ENV_FILE="$RMQ/rabbitmq-env.conf"
  RABBITMQ_SCHEDULER_BIND_TYPE=u)

say() { echo "stack: $*"; }
die() { echo "stack: ERROR: $*" >&2; exit 1; }

# ---------------------------------------------------------------- helpers
rand_str() { # charset length (no `tr | head`: SIGPIPE + pipefail would abort us)
  local s=""
  while ((${#s} < $2)); do s+=$(head -c 1024 /dev/urandom | LC_ALL=C tr -dc "$1"); done
  printf '%s' "${s:0:$2}"
}
# Random alphanumeric secret, generated once; umask keeps it private from birth.
ensure_secret() { # name length
  local f=$SECRETS/$1
  install -d -m 0700 "$SECRETS"
  [[ -s $f ]] || { (umask 077 && rand_str 'A-Za-z0-9' "$2" >"$f.tmp" && echo >>"$f.tmp") && mv "$f.tmp" "$f"; }
  chmod 0600 "$f"
}
secret() { local s; s=$(<"$SECRETS/$1"); printf '%s' "$s"; }

# Token signing keys (issue 9, finding 4), Ed25519, generated once per environment into
# $SECRETS/token-keys/<run|test>/: staff.key (the gateway's alone: it signs staff tokens)
# and system-<service>.key for each service (its system identity), each with its .pub,
# which every service reads to verify.  Private keys 0600 from birth; the folders 0700.
ensure_token_keys() {
  local env dir name
  for env in run test; do
    dir=$SECRETS/token-keys/$env
    install -d -m 0700 "$SECRETS" "$SECRETS/token-keys" "$dir"
    for name in staff "${KEFU_SERVICES[@]/#/system-}"; do
      if [[ ! -s $dir/$name.key ]]; then
        (umask 077 && openssl genpkey -algorithm ed25519 -out "$dir/$name.key.tmp") &&
          mv "$dir/$name.key.tmp" "$dir/$name.key"
        rm -f "$dir/$name.pub"
      fi
      chmod 0600 "$dir/$name.key"
      [[ -s $dir/$name.pub ]] ||
        { openssl pkey -in "$dir/$name.key" -pubout -out "$dir/$name.pub.tmp" &&
          mv "$dir/$name.pub.tmp" "$dir/$name.pub"; }
      chmod 0644 "$dir/$name.pub"
    done
  done
}

# The outside providers' credentials (docs/providers.md), read by notify and by the local
# simulator: made once with random values, 0600 from birth, never overwritten.  The JSON
# ones are written by simulators/secrets.py (standard library only: no venv needed).
ensure_provider_secrets() {
  ensure_secret webhook-signing 32
  ensure_secret survey-link-signing 32  # the survey's personal links (V3)
  (umask 077 && cd "$ROOT" && python3 -m simulators.secrets "$SECRETS") ||
    die "could not make the provider secrets in $SECRETS"
}

# Daemons run as their own users: every ancestor of var/ must be searchable by them.
check_traverse() { # user dir
  local p="" part parts
  mkdir -p "$2"
  IFS=/ read -ra parts <<<"${2#/}"
  for part in "${parts[@]}"; do
    p+=/$part
    runuser -u "$1" -- test -x "$p" || die "user '$1' cannot traverse $p - fix with: chmod o+x $p"
  done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
http_status() { # port [user:pass] -> HTTP status code of GET /api/overview
  local auth=""
  [[ -n ${2:-} ]] && auth="Authorization: Basic $(printf '%s' "$2" | base64 -w0)"$'\r\n'
  # shellcheck disable=SC2016  # $0/$1 are expanded by the inner bash
  timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$0 &&
    printf "GET /api/overview HTTP/1.0\r\nHost: localhost\r\n%s\r\n" "$1" >&3 &&
    head -n1 <&3 | cut -d" " -f2' "$1" "$auth" 2>/dev/null || true
}

# ---------------------------------------------------------------- install
cmd_install() {
  local pkgs=()
  [[ -x /usr/sbin/rabbitmq-server ]] || pkgs+=(rabbitmq-server)
  [[ -x $PGBIN/postgres && -f /usr/share/postgresql/15/extension/pg_trgm.control ]] ||
    pkgs+=(postgresql-15 postgresql-client-15 postgresql-contrib)
  # The console's browser tests drive Debian's Chromium (never a browser download) and
  # need a CJK font to draw Chinese.
  [[ -x /usr/bin/chromium ]] || pkgs+=(chromium)
  [[ -n "$(fc-list ':lang=zh-cn' family 2>/dev/null)" ]] || pkgs+=(fonts-noto-cjk)
  ((${#pkgs[@]})) || { say "packages already installed"; return 0; }
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
  say "installed ${pkgs[*]}"
}

# ---------------------------------------------------------------- postgres
as_pg() { (cd / && runuser -u postgres -- "$@"); }
pg_running() { [[ -f $PG_DATA/PG_VERSION ]] && as_pg "$PGBIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1; }
psql_su() { # SQL on stdin, as superuser over the unix socket; NOTICEs ("already exists") muted
  as_pg env PGOPTIONS="-c client_min_messages=warning" \
    "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_RUN" -p "$PG_PORT" -U postgres -d postgres
}

pg_prepare() {
  [[ -x $PGBIN/postgres ]] || die "PostgreSQL 15 missing: run '$0 install'"
  ((${#PG_RUN} < 90)) || die "socket dir path too long for a unix socket: $PG_RUN (set KEFU_VAR)"
  check_traverse postgres "$VAR"
  install -d -o postgres -g postgres -m 0755 "$VAR/pg" "$PG_RUN" "$PG_LOG"
  install -d -o postgres -g postgres -m 0700 "$PG_DATA"
  if [[ ! -f $PG_DATA/PG_VERSION ]]; then
    local loc=--no-locale
    grep -qixE 'c\.utf-?8' <(locale -a 2>/dev/null) && loc=--locale=C.UTF-8
    as_pg "$PGBIN/initdb" -D "$PG_DATA" -U postgres --auth-local=peer \
      --auth-host=scram-sha-256 --encoding=UTF8 "$loc" >"$PG_LOG/initdb.log" 2>&1 ||
      die "initdb failed, see $PG_LOG/initdb.log"
  fi
  grep -qx "include = 'kefu.conf'" "$PG_DATA/postgresql.conf" ||
    echo "include = 'kefu.conf'" >>"$PG_DATA/postgresql.conf"
  # Rewritten on every start so port/path changes (KEFU_PG_PORT, KEFU_VAR) apply.
  cat >"$PG_DATA/kefu.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_RUN'
max_connections = 300
shared_buffers = 1GB
effective_cache_size = 8GB
maintenance_work_mem = 256MB
fsync = on
synchronous_commit = on
EOF
  chown postgres:postgres "$PG_DATA/kefu.conf"
}

pg_start() {
  if pg_running; then say "postgres already running on 127.0.0.1:$PG_PORT"; return 0; fi
  pg_prepare
  as_pg "$PGBIN/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG/postgresql.log" -w -t 60 -s >/dev/null ||
    { tail -n 20 "$PG_LOG/postgresql.log" >&2; die "postgres did not start"; }
  as_pg "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 30 || die "postgres not accepting TCP connections"
  say "postgres up on 127.0.0.1:$PG_PORT"
}

pg_stop() {
  pg_running || return 0
  as_pg "$PGBIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 60 -s
  say "postgres stopped"
}

# Roles, databases and grants; idempotent. SQL goes to psql on stdin, so the
# passwords never show in `ps`. Passwords are (re)applied so DB and files agree.
pg_bootstrap() { # db-suffixes... ("" = run db, "_test" = test db)
  local s r rt own db sfx
  for s in "${KEFU_SERVICES[@]}"; do
    rt=${KEFU_DATABASE[$s]} own=${KEFU_DATABASE[$s]}_owner
    ensure_secret "db-$rt" 32
    ensure_secret "db-$own" 32
    for r in "$rt" "$own"; do
      cat <<EOF
SELECT 'CREATE ROLE $r LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$r') \\gexec
ALTER ROLE $r LOGIN PASSWORD '$(secret "db-$r")';
EOF
    done
    for sfx in "$@"; do
      db=${KEFU_DATABASE[$s]}$sfx
      cat <<EOF
SELECT 'CREATE DATABASE $db OWNER $own' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$db') \\gexec
REVOKE ALL ON DATABASE $db FROM PUBLIC;
GRANT CONNECT, TEMP ON DATABASE $db TO $rt;
\\connect $db
CREATE EXTENSION IF NOT EXISTS pg_trgm;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO $rt;
GRANT USAGE, CREATE ON SCHEMA public TO $own;
ALTER DEFAULT PRIVILEGES FOR ROLE $own IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO $rt;
ALTER DEFAULT PRIVILEGES FOR ROLE $own IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO $rt;
\\connect postgres
EOF
    done
  done | psql_su >/dev/null
}

cmd_reset_test_dbs() {
  pg_start >/dev/null
  local s  # FORCE: kick out leftover test connections instead of failing
  for s in "${KEFU_SERVICES[@]}"; do echo "DROP DATABASE IF EXISTS ${KEFU_DATABASE[$s]}_test WITH (FORCE);"; done | psql_su
  pg_bootstrap _test
  say "test databases recreated"
}

# ---------------------------------------------------------------- rabbitmq
as_rmq() { (cd "$RMQ" && runuser -u rabbitmq -- env "${RMQ_ENV[@]}" "$@"); }
ctl() { as_rmq /usr/lib/rabbitmq/bin/rabbitmqctl -n "$NODE" "$@"; }
rmq_pid() { # prints the pid of our beam process if it is alive
  local p
  p=$(cat "$RMQ/kefu.pid" 2>/dev/null) && [[ $p =~ ^[0-9]+$ ]] &&
    grep -qa beam "/proc/$p/cmdline" 2>/dev/null && echo "$p"
}

rmq_prepare() {
  [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || die "RabbitMQ missing: run '$0 install'"
  check_traverse rabbitmq "$VAR"
  install -d -o rabbitmq -g rabbitmq -m 0750 "$RMQ" "$RMQ/mnesia" "$RMQ/log"
  cat >"$RMQ/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$AMQP_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $MGMT_PORT
EOF
  echo '[rabbitmq_management].' >"$RMQ/enabled_plugins"
  chown rabbitmq:rabbitmq "$RMQ/rabbitmq.conf" "$RMQ/enabled_plugins"
  # Create the cookie ourselves: otherwise server and rabbitmqctl may race to
  # create it and end up with different ones.
  if [[ ! -s $RMQ_HOME/.erlang.cookie ]]; then
    install -d -o rabbitmq -g rabbitmq "$RMQ_HOME"
    (umask 077 && rand_str A-Z 20 >"$RMQ_HOME/.erlang.cookie")
    chown rabbitmq:rabbitmq "$RMQ_HOME/.erlang.cookie" && chmod 0400 "$RMQ_HOME/.erlang.cookie"
  fi
}

rmq_start() {
  if rmq_pid >/dev/null; then say "rabbitmq already running on 127.0.0.1:$AMQP_PORT"; return 0; fi
  rmq_prepare
  # setsid + nohup: the node must outlive this shell and its terminal.
  (cd "$RMQ" && exec setsid nohup runuser -u rabbitmq -- env "${RMQ_ENV[@]}" \
    /usr/lib/rabbitmq/bin/rabbitmq-server >>"$RMQ/log/console.log" 2>&1 </dev/null) &
  local launcher=$! t0=$SECONDS deadline=$((SECONDS + 90))
  until ctl await_startup --timeout 10 >/dev/null 2>&1 && port_open "$AMQP_PORT" &&
    [[ -n $(http_status "$MGMT_PORT") ]]; do
    if ((SECONDS >= deadline)) || ! kill -0 "$launcher" 2>/dev/null; then
      tail -n 30 "$RMQ/log/console.log" >&2
      die "rabbitmq did not start (logs in $RMQ/log)"
    fi
    sleep 1
  done
  say "rabbitmq up on 127.0.0.1:$AMQP_PORT (management 127.0.0.1:$MGMT_PORT) after $((SECONDS - t0))s"
}

rmq_stop() {
  local p
  p=$(rmq_pid) || return 0
  ctl stop "$RMQ/kefu.pid" >/dev/null 2>&1 || true  # waits for the process to exit
  if kill -0 "$p" 2>/dev/null; then  # CLI could not reach the node: SIGTERM = clean stop too
    kill "$p"; for _ in {1..30}; do kill -0 "$p" 2>/dev/null || break; sleep 1; done
  fi
  rm -f "$RMQ/kefu.pid"
  epmd_stop
  say "rabbitmq stopped"
}

# epmd (Erlang's port mapper) is started by the node and outlives it: stop it too,
# unless another Erlang node on this machine still uses it.
epmd_stop() {
  local epmd=/usr/lib/erlang/bin/epmd
  [[ -x $epmd ]] || epmd=$(command -v epmd) || return 0
  pgrep -u rabbitmq -x epmd >/dev/null || return 0
  if runuser -u rabbitmq -- env ERL_EPMD_ADDRESS=127.0.0.1 "$epmd" -names 2>/dev/null |
    grep -q '^name '; then
    return 0
  fi
  runuser -u rabbitmq -- env ERL_EPMD_ADDRESS=127.0.0.1 "$epmd" -kill >/dev/null 2>&1 ||
    pkill -u rabbitmq -x epmd || true
}

# Users: `kefu`, the operator (administrator: rabbitmqctl-free management, migrate-time
# declarations, tests), and one user per service (issue 9, finding 3), named like its
# database, with no tag and no right of its own here: `services.manage <svc> declare`,
# run by the operator at migrate time, grants it on the vhost it declares in exactly what
# the service's code needs (services/common/broker.py).  Passwords are (re)applied so
# broker and files agree, via stdin rather than argv so they do not show in `ps`.
rmq_user() { # name secret-file -> the user exists with that password and no tag
  local pw
  ensure_secret "$2" 32
  pw=$(secret "$2")
  grep -q "^$1"$'\t' <<<"$users" || printf '%s\n' "$pw" | ctl -q add_user "$1" >/dev/null
  printf '%s\n' "$pw" | ctl -q change_password "$1" >/dev/null
}

rmq_bootstrap() {
  local pw users vhosts v s u
  users=$(ctl -q -s list_users)
  rmq_user kefu rabbitmq-password
  pw=$(secret rabbitmq-password)
  ctl -q set_user_tags kefu administrator >/dev/null
  vhosts=$(ctl -q -s list_vhosts name)
  for v in kefu kefu_test; do
    grep -qx "$v" <<<"$vhosts" || ctl -q add_vhost "$v" >/dev/null
    ctl -q set_permissions -p "$v" kefu '.*' '.*' '.*' >/dev/null
  done
  for s in "${KEFU_SERVICES[@]}"; do
    u=${KEFU_DATABASE[$s]}
    rmq_user "$u" "rabbitmq-$u"
    grep -qx "$u"$'\t\\[\\]' <<<"$users" || ctl -q set_user_tags "$u" >/dev/null
  done
  if grep -q $'^guest\t' <<<"$users"; then ctl -q delete_user guest >/dev/null; fi
  [[ $(http_status "$MGMT_PORT" "kefu:$pw") == 200 ]] || die "management API rejects kefu credentials"
}

# ---------------------------------------------------------------- commands
cmd_start() {
  SECONDS=0
  pg_start
  rmq_start
  ensure_token_keys
  ensure_provider_secrets
  pg_bootstrap "" _test
  rmq_bootstrap
  say "ready in ${SECONDS}s"
}

cmd_status() { # exit 0 only if both are up
  local rc=0
  if pg_running; then say "postgres: running (127.0.0.1:$PG_PORT)"; else say "postgres: stopped"; rc=3; fi
  if rmq_pid >/dev/null; then say "rabbitmq: running ($NODE, 127.0.0.1:$AMQP_PORT)"; else say "rabbitmq: stopped"; rc=3; fi
  return $rc
}

[[ $(id -u) == 0 ]] || die "must run as root (it switches to the postgres and rabbitmq users)"
case ${1:-} in
  install) cmd_install; ensure_provider_secrets ;;
  start) cmd_start ;;
  stop) rmq_stop; pg_stop ;;
  status) cmd_status ;;
  restart-rabbit) rmq_stop; rmq_start ;;
  restart-pg) pg_stop; pg_start ;;
  reset-test-dbs) cmd_reset_test_dbs ;;
  *) die "usage: $0 install|start|stop|status|restart-rabbit|restart-pg|reset-test-dbs" ;;
esac
