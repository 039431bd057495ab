#!/usr/bin/env bash
# The main job on embedded defaults, from a fresh Debian bookworm machine:
# installs the dependencies, builds, generates the PKI, starts Mosquitto (TLS, client
# certificates, per-VIN ACL) and the backend, runs a simulated car that sends sample reports in
# Chinese and English, and shows the notifications coming back and the cases created.
#
#   scripts/demo.sh                 everything, then stops the broker and backend
#   scripts/demo.sh --keep-running  leaves broker and backend up (e.g. for the Qt app)
#   FB_SKIP_INSTALL=1 scripts/demo.sh   skip apt-get
# Everything it writes is under ./run/ (logs: run/broker.log, run/backend.log).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
keep=0
[[ "${1:-}" == "--keep-running" ]] && keep=1
port=${FB_BROKER_PORT:-8883}
http_port=${FB_HTTP_PORT:-8080}
vins=(LSVAX60E5K2000001 LSVAX60E5K2000002 LSVAX60E5K2000003)

if [[ -z "${FB_SKIP_INSTALL:-}" ]]; then
  echo "== installing dependencies (apt-get)"
  scripts/install-deps.sh
fi

echo "== building (preset release)"
cmake --preset release >/dev/null
cmake --build --preset release
bin=$root/build/release

mkdir -p run
echo "== certificates: CA, broker, backend and one per vehicle (CN = VIN) in run/pki"
deploy/gen-certs.sh run/pki "${vins[@]}"
deploy/broker-config.sh run/broker run/pki "$port"

pids=()
cleanup() {
  if [[ $keep -eq 0 ]]; then
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
  fi
}
trap cleanup EXIT

wait_for() {  # wait_for <file> <pattern> <what>
  for _ in $(seq 1 100); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$3 did not start; see $1" >&2
  exit 1
}

echo "== starting mosquitto on 127.0.0.1:$port (TLS, client certificates required)"
: > run/broker.log
mosquitto -c run/broker/mosquitto.conf >>run/broker.log 2>&1 &
pids+=($!)
wait_for run/broker.log "mosquitto version .* running" mosquitto

if [[ ! -s run/api-tokens ]]; then
  echo "== API tokens for the console (run/api-tokens keeps only their hashes; the tokens: run/api-tokens.txt)"
  {
    echo "agent li.na (after_sales): $("$bin/backend/app/fb-backend" --tokens run/api-tokens token add --role agent --team after_sales --name li.na)"
    echo "team lead wang.wei (rnd_tech_support): $("$bin/backend/app/fb-backend" --tokens run/api-tokens token add --role team_lead --team rnd_tech_support --name wang.wei)"
    echo "admin: $("$bin/backend/app/fb-backend" --tokens run/api-tokens token add --role admin --name admin)"
  } > run/api-tokens.txt
  chmod 600 run/api-tokens.txt
fi

echo "== starting the backend (case store run/cases.db, rules deploy/rules, console http://127.0.0.1:$http_port/)"
: > run/backend.log
"$bin/backend/app/fb-backend" --broker "ssl://127.0.0.1:$port" --pki run/pki --db run/cases.db \
  --rules deploy/rules --http "127.0.0.1:$http_port" --tokens run/api-tokens serve >>run/backend.log 2>&1 &
pids+=($!)
wait_for run/backend.log "backend ready" fb-backend

echo "== a simulated car sends sample reports and waits for the answers"
"$bin/head-unit/fb-car" --vin "${vins[0]}" --broker "ssl://127.0.0.1:$port" --pki run/pki \
  --db "run/car-${vins[0]}.db" --wait 30 demo

echo
echo "== cases in the backend (fb-backend cases)"
"$bin/backend/app/fb-backend" --db run/cases.db cases -n 10

admin_token=$(sed -n 's/^admin: //p' run/api-tokens.txt)
echo
echo "== the service teams' API: the after-sales queue, most urgent first (GET /api/v1/cases)"
curl -sf -H "Authorization: Bearer $admin_token" \
  "http://127.0.0.1:$http_port/api/v1/cases?team=after_sales&sort=due&limit=5" |
  python3 -c 'import json,sys; [print(c["case_number"], c["state"], c["priority"], c["system"], "sla:", c["sla"]["state"]) for c in json.load(sys.stdin)["items"]]'
echo "== dashboard (GET /api/v1/dashboard): cases, 24 h response rate, closed-loop rate, CSAT"
curl -sf -H "Authorization: Bearer $admin_token" "http://127.0.0.1:$http_port/api/v1/dashboard" |
  python3 -c 'import json,sys; d=json.load(sys.stdin); f=lambda v: "n/a (nothing due yet)" if v is None else v; print("cases", d["cases_created"], "| 24h response", f(d["first_response_24h"]["rate"]), "| closed loop", f(d["closed_loop"]["rate"]), "| CSAT", f(d["csat"]["mean"]))'
echo "Console: http://127.0.0.1:$http_port/  (tokens in run/api-tokens.txt)"

if [[ $keep -eq 1 ]]; then
  echo
  echo "Broker and backend keep running (pids ${pids[*]}). Try the dashboard app:"
  echo "  $bin/head-unit/app/fb-headunit --broker ssl://127.0.0.1:$port --pki run/pki --vin ${vins[1]}"
fi
