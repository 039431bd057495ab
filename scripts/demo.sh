#!/usr/bin/env bash
# The main job on embedded defaults, from a fresh Debian bookworm machine:
# installs the dependencies, builds, generates the PKI, starts Mosquitto (TLS, client
# certificates, per-VIN ACL) and the backend, runs a simulated car that sends sample reports in
# Chinese and English, and shows the notifications coming back and the cases created.
#
#   scripts/demo.sh                 everything, then stops the broker and backend
#   scripts/demo.sh --keep-running  leaves broker and backend up (e.g. for the Qt app) when it succeeds
#   scripts/demo.sh --stop          stops the broker and backend a --keep-running run left up
#   FB_SKIP_INSTALL=1 scripts/demo.sh   skip apt-get
# Everything it writes is under ./run/ (logs: run/broker.log, run/backend.log).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
keep=0
[[ "${1:-}" == "--keep-running" ]] && keep=1

# The broker and backend a --keep-running run left up (their pids in run/*.pid): stopped by
# --stop, and before a new run, whose ports they hold.
stop_kept() {
  local f p
  for f in run/broker.pid run/backend.pid; do
    [[ -s "$f" ]] || continue
    p=$(cat "$f")
    # Only ours: after a reboot the pid may be another program's.
    if kill -0 "$p" 2>/dev/null && grep -qa -e mosquitto -e fb-backend "/proc/$p/cmdline" 2>/dev/null; then
      kill "$p" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
      echo "stopped $(basename "$f" .pid) (pid $p)"
    fi
    rm -f "$f"
  done
}
if [[ "${1:-}" == "--stop" ]]; then
  stop_kept
  exit 0
fi
stop_kept
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
  local rc=$?
  # A failed run stops everything it started, --keep-running or not: a half-started demo
  # would hold the ports of the next one.
  if [[ $keep -eq 0 || $rc -ne 0 ]]; then
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -f run/broker.pid run/backend.pid
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
echo $! >run/broker.pid
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
if [[ ! -s run/dealer-SH-001.token ]]; then
  # The dealer simulator's token (role dealer, dealer code SH-001): it sees its own visits only.
  "$bin/backend/app/fb-backend" --tokens run/api-tokens token add --role dealer --team SH-001 --name wang.dealer |
    tail -n 1 > run/dealer-SH-001.token
  chmod 600 run/dealer-SH-001.token
fi

echo "== the key that seals personal data in the case store (run/store.keys, mode 0600; made once)"
"$bin/backend/app/fb-backend" --key-file run/store.keys key init

echo "== starting the backend (case store run/cases.db, rules deploy/rules, console http://127.0.0.1:$http_port/)"
: > run/backend.log
"$bin/backend/app/fb-backend" --broker "ssl://127.0.0.1:$port" --pki run/pki --db run/cases.db \
  --rules deploy/rules --http "127.0.0.1:$http_port" --tokens run/api-tokens --key-file run/store.keys \
  serve >>run/backend.log 2>&1 &
pids+=($!)
echo $! >run/backend.pid
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
curl -sf --max-time 30 -H "Authorization: Bearer $admin_token" \
  "http://127.0.0.1:$http_port/api/v1/cases?team=after_sales&sort=due&limit=5" |
  python3 -c 'import json,sys; [print(c["case_number"], c["state"], c["priority"], c["system"], "sla:", c["sla"]["state"]) for c in json.load(sys.stdin)["items"]]'
echo "== dashboard (GET /api/v1/dashboard): cases, 24 h response rate, closed-loop rate, CSAT"
curl -sf --max-time 30 -H "Authorization: Bearer $admin_token" "http://127.0.0.1:$http_port/api/v1/dashboard" |
  python3 -c 'import json,sys; d=json.load(sys.stdin); f=lambda v: "n/a (nothing due yet)" if v is None else v; print("cases", d["cases_created"], "| 24h response", f(d["first_response_24h"]["rate"]), "| closed loop", f(d["closed_loop"]["rate"]), "| CSAT", f(d["csat"]["mean"]))'
echo "Console: http://127.0.0.1:$http_port/  (tokens in run/api-tokens.txt)"

# ---- A service visit seen from the car (docs/visits.md) ----
api=http://127.0.0.1:$http_port/api/v1
car=(--vin "${vins[1]}" --broker "ssl://127.0.0.1:$port" --pki run/pki --db "run/car-${vins[1]}.db")
call() {  # call <method> <path> [json body]: the API as the admin; prints the answer
  if [[ $# -ge 3 ]]; then
    curl -sf --max-time 30 -X "$1" -H "Authorization: Bearer $admin_token" -H "Content-Type: application/json" -d "$3" "$api$2"
  else
    curl -sf --max-time 30 -X "$1" -H "Authorization: Bearer $admin_token" "$api$2"
  fi
}
# A fresh queue for this car on every run: a case it kept from an earlier run may close meanwhile,
# and answering that case's survey would end `follow --until-survey` before this run's visit.
rm -f "run/car-${vins[1]}.db" "run/car-${vins[1]}.db-wal" "run/car-${vins[1]}.db-shm" \
  "run/car-${vins[1]}.db.recovery" "run/car-${vins[1]}.db.recovering"
echo
echo "== a service visit, seen from the car (${vins[1]})"
echo "-- the driver reports harsh shifting"
"$bin/head-unit/fb-car" "${car[@]}" --wait 30 send --category driving_feel --lang en --dtc P0700 \
  --text "Harsh shift from 2nd to 3rd when the gearbox is cold"
number=$(call GET "/cases?q=${vins[1]}&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["case_number"])')
echo "-- the service team takes case $number and proposes two slots at the Pudong 4S store (estimate 800.00 CNY)"
call POST "/cases/$number/transitions" '{"to":"acknowledged","reason":"received"}' >/dev/null
call POST "/cases/$number/transitions" '{"to":"assigned","reason":"after-sales","assignee":"li.na"}' >/dev/null
call POST "/cases/$number/transitions" '{"to":"in_progress","reason":"needs a workshop check"}' >/dev/null
now_ms=$(($(date +%s) * 1000))
slot() { echo "{\"dealer_code\":\"SH-001\",\"dealer_name\":\"Pudong 4S\",\"start_ms\":$1,\"end_ms\":$(($1 + 7200000)),\"work\":\"gearbox check\"}"; }
call POST "/cases/$number/visits" \
  "{\"slots\":[$(slot $((now_ms + 86400000))),$(slot $((now_ms + 172800000)))],\"estimate\":{\"minor\":80000,\"currency\":\"CNY\"}}" >/dev/null
echo "-- the car (fb-car follow) picks the first slot, approves the extra cost and rates the visit 2 of 5;"
echo "   the dealer (fb-dealer, token role dealer) checks the car in and works the repair order"
"$bin/head-unit/fb-car" "${car[@]}" --wait 120 follow --pick-first-slot --approve-extra \
  --survey-score 2 --survey-comment "The repair was fine but pick-up took an hour" --until-survey >run/car-visit.log 2>&1 &
car_pid=$!
pids+=($car_pid)
"$bin/backend/dealer-sim/fb-dealer" --api "http://127.0.0.1:$http_port" --token-file run/dealer-SH-001.token \
  --step-ms 300 --extra-cost 20000 --extra-reason "valve body replaced instead of a reset" \
  --until-handed-over 1 --timeout-s 120 | sed 's/^/   dealer | /'
wait "$car_pid" || { echo "the car did not finish its visit; see run/car-visit.log" >&2; exit 1; }
echo "-- what the car showed, step by step"
sed 's/^/   car | /' run/car-visit.log
visit_json=$(call GET "/visits?case=$number")
echo "$visit_json" | python3 -c 'import json,sys
v=json.load(sys.stdin)["items"][0]
print("-- visit", v["state"], "| stages:", " > ".join(s["stage"] for s in v["stages"]))
print("   survey", v["survey"], "| follow-up case for after-sales:", v["follow_up_case"])'

echo
echo "== a live callback: the parked car asks to be called, an agent picks it up and logs the call"
"$bin/head-unit/fb-car" "${car[@]}" --wait 60 follow --request-callback any --until-callback-logged \
  >run/car-callback.log 2>&1 &
car_pid=$!
pids+=($car_pid)
callback=""
for _ in $(seq 1 100); do
  callback=$(call GET "/callbacks" | python3 -c 'import json,sys; i=json.load(sys.stdin)["items"]; print(i[0]["id"] if i else "")')
  [[ -n "$callback" ]] && break
  sleep 0.2
done
[[ -n "$callback" ]] || { echo "no callback request reached the queue; see run/car-callback.log" >&2; exit 1; }
call POST "/callbacks/$callback/pickup" '{}' |
  python3 -c 'import json,sys; c=json.load(sys.stdin); print("-- picked up by", c["agent"], "after", c["waited_ms"] / 1000, "s (target 60 s)")'
call POST "/callbacks/$callback/outcome" '{"outcome":"Explained the repair; offered a courtesy check in 30 days"}' >/dev/null
wait "$car_pid" || { echo "the car never heard the call was logged; see run/car-callback.log" >&2; exit 1; }
sed 's/^/   car | /' run/car-callback.log

if [[ $keep -eq 1 ]]; then
  echo
  echo "Broker and backend keep running (pids $(cat run/broker.pid) $(cat run/backend.pid); scripts/demo.sh --stop stops them). Try the dashboard app:"
  echo "  $bin/head-unit/app/fb-headunit --broker ssl://127.0.0.1:$port --pki run/pki --vin ${vins[1]}"
fi
