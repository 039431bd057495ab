#!/usr/bin/env bash
# `fb-car --config <packaged fb-car.conf> run`, as the systemd unit starts it: the packaged
# config parses (the command line overrides its db and broker), `run` outlives --wait and exits
# 0 on SIGTERM with its queue in place, a misspelt key in a config file is refused, and root is
# refused on a queue another user owns.
#   fb_car_service_test.sh <work dir> <fb-car.conf> <fb-car> [emulator args...]
set -euo pipefail
work=$1 conf=$2
shift 2
fb_car=("$@")  # e.g. qemu-aarch64 -L / .../fb-car under a cross build
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*"; cat "$work/out" 2>/dev/null || true; exit 1; }

# Port 1 on loopback: nothing listens, so the agent keeps retrying and never finishes by itself.
common=(--config "$conf" --db "$work/queue.db" --broker tcp://127.0.0.1:1 --pki "$work")
"${fb_car[@]}" "${common[@]}" --wait 0 run >"$work/out" 2>&1 &
pid=$!
for _ in $(seq 300); do
  grep -q "^car LSVAX60E5K2000001 (Aurora EV 2026), queue $work/queue.db" "$work/out" && break
  kill -0 "$pid" 2>/dev/null || fail "fb-car run exited before it started"
  sleep 0.1
done
grep -q "^car " "$work/out" || fail "fb-car run printed no start line within 30 s"
# listen would have stopped at --wait 0, right after its start line; run must still be there
# after three more connection attempts (its backoff: about 1 s).
for _ in $(seq 300); do
  [[ $(grep -c "connect failed" "$work/out") -ge 3 ]] && break
  kill -0 "$pid" 2>/dev/null || fail "fb-car run stopped without a signal"
  sleep 0.1
done
[[ $(grep -c "connect failed" "$work/out") -ge 3 ]] || fail "fb-car run made no three connection attempts in 30 s"
kill -0 "$pid" 2>/dev/null || fail "fb-car run stopped without a signal"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[[ $rc -eq 0 ]] || fail "fb-car run exited $rc on SIGTERM, expected 0"
[[ -s "$work/queue.db" ]] || fail "no queue at $work/queue.db"

printf 'vin = "LSVAX60E5K2000001"\ncolour = "red"\n' >"$work/typo.conf"
rc=0
"${fb_car[@]}" --config "$work/typo.conf" --db "$work/queue.db" list >"$work/out" 2>&1 || rc=$?
[[ $rc -ne 0 ]] || fail "a config file with an unknown key was accepted"
grep -q colour "$work/out" || fail "the error does not name the unknown key"
# Root on the service user's queue (the packaged layout: /var/lib/fb-car owned by fb-car) is
# refused before anything is created there, with the command to use instead.
if [[ $(id -u) -eq 0 ]] && getent passwd nobody >/dev/null; then
  mkdir -p "$work/service"
  chown nobody "$work/service"
  rc=0
  "${fb_car[@]}" --config "$conf" --db "$work/service/queue.db" --pki "$work" list >"$work/out" 2>&1 || rc=$?
  [[ $rc -ne 0 ]] || fail "root was let open the queue of user nobody"
  grep -q "runuser -u nobody" "$work/out" || fail "the refusal does not say how to run it"
  [[ -z $(ls -A "$work/service") ]] || fail "root created files in the service user's directory"
  # A queue file an earlier root run left there does not make the place root's.
  touch "$work/service/queue.db"
  rc=0
  "${fb_car[@]}" --config "$conf" --db "$work/service/queue.db" --pki "$work" list >"$work/out" 2>&1 || rc=$?
  [[ $rc -ne 0 ]] || fail "root was let open a root-owned queue in user nobody's directory"
  grep -q "chown nobody" "$work/out" || fail "the refusal does not say how to give the files back"
fi
echo "FB_CAR_SERVICE_OK"
