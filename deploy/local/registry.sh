# shellcheck shell=bash
# The services of Kefu, from services/registry.txt (the one list).  Source me:
#   KEFU_SERVICES            names in start order (the gateway last)
#   KEFU_METRICS_PORT[name]  its metrics port (run; the test system adds 100)
#   KEFU_DATABASE[name]      its database and runtime role (owner: <database>_owner)
KEFU_SERVICES=()
declare -gA KEFU_METRICS_PORT=() KEFU_DATABASE=()
while read -r _kefu_name _kefu_port _kefu_db _; do
  [[ -z ${_kefu_name:-} || $_kefu_name == \#* ]] && continue
  KEFU_SERVICES+=("$_kefu_name")
  KEFU_METRICS_PORT[$_kefu_name]=$_kefu_port
  KEFU_DATABASE[$_kefu_name]=$_kefu_db
done <"$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/services/registry.txt"
unset -v _kefu_name _kefu_port _kefu_db
