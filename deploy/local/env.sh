# shellcheck shell=bash
# Source me:  . deploy/local/env.sh        (KEFU_ENV=run, default)
#             KEFU_ENV=test . deploy/local/env.sh
# Exports connection settings for the local stack started by deploy/local/stack.sh.
# Safe under `set -euo pipefail` in the caller: prints nothing, never fails;
# variables whose secret does not exist yet (stack never started) are left empty.
# Unknown KEFU_ENV values leave all URIs empty rather than guess a database.

_kefu_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." 2>/dev/null && pwd) || _kefu_root=$PWD
export KEFU_VAR=${KEFU_VAR:-$_kefu_root/var}
[[ $KEFU_VAR = /* ]] || KEFU_VAR=$PWD/$KEFU_VAR
export KEFU_PG_PORT=${KEFU_PG_PORT:-15432}
export KEFU_AMQP_PORT=${KEFU_AMQP_PORT:-5682}
export KEFU_RABBIT_MGMT_PORT=${KEFU_RABBIT_MGMT_PORT:-15682}

_kefu_secret() { # name -> content of var/secrets/<name> without newline, or ""
  local _s=""
  [[ -r $KEFU_VAR/secrets/$1 ]] && _s=$(<"$KEFU_VAR/secrets/$1") 2>/dev/null
  printf '%s' "$_s"
}
_kefu_urlencode() { # percent-encode everything but RFC 3986 unreserved chars
  local LC_ALL=C _i _c _out=""  # byte-wise, so non-ASCII becomes UTF-8 %XX
  for ((_i = 0; _i < ${#1}; _i++)); do
    _c=${1:_i:1}
    case $_c in [A-Za-z0-9._~-]) _out+=$_c ;; *) _out+=$(printf '%%%02X' "'$_c") ;; esac
  done
  printf '%s' "$_out"
}

# _kefu_sim: the provider simulator's HTTP port, its SMTP port, the gateway's port (where
# the simulator's callbacks go): docs/providers.md, "Where things listen".
case ${KEFU_ENV:-run} in
  run) _kefu_vhost=kefu _kefu_dbsfx="" _kefu_sim=(8900 2525 8000) ;;
  test) _kefu_vhost=kefu_test _kefu_dbsfx=_test _kefu_sim=(8990 2625 8800) ;;
  *) _kefu_vhost="" _kefu_dbsfx="" _kefu_sim=() ;;
esac

# The outside providers' local stand-in (simulators/, started by services.sh): SMS,
# robots and webhooks over HTTP, mail over SMTP kept in a Maildir; empty for an unknown env.
export KEFU_PROVIDERS_URL="" KEFU_SMTP_ADDRESS="" KEFU_CALLBACK_BASE="" KEFU_MAILDIR=""
if ((${#_kefu_sim[@]})); then
  KEFU_PROVIDERS_URL=http://127.0.0.1:${_kefu_sim[0]}
  KEFU_SMTP_ADDRESS=127.0.0.1:${_kefu_sim[1]}
  KEFU_CALLBACK_BASE=http://127.0.0.1:${_kefu_sim[2]}
  KEFU_MAILDIR=$KEFU_VAR/mail/${KEFU_ENV:-run}
fi
# The test system settles an interrupted send after 15 s, not 300 (the fault tier kills
# notify mid-batch; services/notify/config.yaml, SENDING_LEASE_SECONDS).
if [[ ${KEFU_ENV:-run} == test ]]; then
  export KEFU_SENDING_LEASE_SECONDS=${KEFU_SENDING_LEASE_SECONDS:-15}
fi

_kefu_pw=$(_kefu_secret rabbitmq-password)
export KEFU_AMQP_URI="" KEFU_AMQP_BASE_URI="" KEFU_RABBIT_CTL_URI=""
if [[ -n $_kefu_pw ]]; then
  KEFU_AMQP_BASE_URI="amqp://kefu:$_kefu_pw@127.0.0.1:$KEFU_AMQP_PORT"
  KEFU_RABBIT_CTL_URI="http://kefu:$_kefu_pw@127.0.0.1:$KEFU_RABBIT_MGMT_PORT"
  [[ -n $_kefu_vhost ]] && KEFU_AMQP_URI="$KEFU_AMQP_BASE_URI/$(_kefu_urlencode "$_kefu_vhost")"
fi

# shellcheck source=deploy/local/registry.sh
. "$_kefu_root/deploy/local/registry.sh"
for _kefu_svc in "${KEFU_SERVICES[@]}"; do
  _kefu_up=$(printf '%s' "$_kefu_svc" | tr '[:lower:]' '[:upper:]')
  _kefu_db=${KEFU_DATABASE[$_kefu_svc]}$_kefu_dbsfx
  # The service's own broker user (issue 9, finding 3), named like its database;
  # KEFU_AMQP_URI above is the operator's (declarations, tests, tools).
  _kefu_role=${KEFU_DATABASE[$_kefu_svc]}
  _kefu_pw=$(_kefu_secret "rabbitmq-$_kefu_role")
  _kefu_uri=""
  if [[ -n $_kefu_pw && -n $_kefu_vhost ]]; then
    _kefu_uri="amqp://$_kefu_role:$(_kefu_urlencode "$_kefu_pw")@127.0.0.1:$KEFU_AMQP_PORT/$(_kefu_urlencode "$_kefu_vhost")"
  fi
  export "KEFU_${_kefu_up}_AMQP_URI=$_kefu_uri"
  for _kefu_kind in "" _OWNER; do
    _kefu_role=${KEFU_DATABASE[$_kefu_svc]}${_kefu_kind:+_owner}
    _kefu_pw=$(_kefu_secret "db-$_kefu_role")
    _kefu_uri=""
    if [[ -n $_kefu_pw && -n $_kefu_vhost ]]; then
      _kefu_uri="postgresql://$_kefu_role:$_kefu_pw@127.0.0.1:$KEFU_PG_PORT/$_kefu_db"
    fi
    export "KEFU_${_kefu_up}${_kefu_kind}_DB_URI=$_kefu_uri"
  done
done

# Token keys (issue 9, finding 4; made by deploy/local/stack.sh): the folder of public
# keys every service verifies with, the gateway's staff-signing key, and each service's
# own system key (KEFU_<SERVICE>_SYSTEM_KEY; services/common/config.py gives a service
# only its own).  Empty until the stack made them.
export KEFU_TOKEN_KEYS="" KEFU_STAFF_SIGNING_KEY=""
_kefu_keys=$KEFU_VAR/secrets/token-keys/${KEFU_ENV:-run}
if [[ -n $_kefu_vhost && -r $_kefu_keys/staff.pub ]]; then
  KEFU_TOKEN_KEYS=$_kefu_keys KEFU_STAFF_SIGNING_KEY=$_kefu_keys/staff.key
fi
for _kefu_svc in "${KEFU_SERVICES[@]}"; do
  _kefu_up=$(printf '%s' "$_kefu_svc" | tr '[:lower:]' '[:upper:]')
  export "KEFU_${_kefu_up}_SYSTEM_KEY=${KEFU_TOKEN_KEYS:+$_kefu_keys/system-$_kefu_svc.key}"
done

unset -v _kefu_keys _kefu_root _kefu_sim _kefu_vhost _kefu_dbsfx _kefu_pw _kefu_svc _kefu_up _kefu_db _kefu_kind _kefu_role _kefu_uri
unset -f _kefu_secret _kefu_urlencode
true
