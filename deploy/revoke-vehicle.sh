#!/usr/bin/env bash
# Revokes a vehicle's certificate (a stolen or replaced head unit), writes a new CRL and makes
# the broker use it.
#
#   deploy/revoke-vehicle.sh <pki-dir> <VIN> [--reason R] [--broker-pid PID | --pid-file FILE]
#                            [--restart CMD]
#
#   --reason      an `openssl ca -crl_reason`: keyCompromise (default), superseded,
#                 cessationOfOperation, affiliationChanged, unspecified
#   --broker-pid  the running mosquitto: SIGHUP makes it read the new CRL (Mosquitto 2.0.11
#   --pid-file    rebuilds each TLS listener on SIGHUP); every new TLS handshake with the revoked
#                 certificate is refused from then on, and no other client is disconnected
#   --restart     a command that restarts the broker (e.g. "systemctl restart mosquitto"). Needed
#                 to cut a connection the revoked vehicle has open now: a reload checks only new
#                 handshakes, an established TLS session stays up until it ends (docs/deploy.md)
#
# The vehicle's files move to <pki>/revoked/<VIN>.<serial>/, so that `gen-certs.sh <pki> <VIN>`
# issues the vehicle a new certificate (a new head unit) when asked.
set -euo pipefail

usage() {
  sed -n '5,6p' "$0" | sed 's/^# *//' >&2
  exit 2
}
[[ $# -ge 2 ]] || usage
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pki=$(cd "$1" && pwd)
vin=$2
shift 2
reason=keyCompromise
pid=
restart=
while [[ $# -gt 0 ]]; do
  case $1 in
    --reason) reason=$2; shift 2 ;;
    --broker-pid) pid=$2; shift 2 ;;
    --pid-file) pid=$(<"$2"); shift 2 ;;
    --restart) restart=$2; shift 2 ;;
    *) usage ;;
  esac
done

if [[ ! "$vin" =~ ^[A-HJ-NPR-Z0-9]{17}$ ]]; then
  echo "revoke-vehicle: '$vin' is not a 17-character VIN" >&2
  exit 2
fi
cert=$pki/vehicles/$vin/client.crt
if [[ ! -s "$cert" ]]; then
  echo "revoke-vehicle: no certificate for $vin in $pki/vehicles" >&2
  exit 1
fi
# The CA's openssl.cnf names its directory by absolute path: a PKI copied elsewhere (cp -a run/pki
# /etc/fb/pki) would record the revocation in the old copy's database and publish a CRL without it.
# gen-certs.sh writes it for this directory (and adds the CA database to a PKI from before it),
# keeping every certificate.
"$here/gen-certs.sh" "$pki" >/dev/null

serial=$(openssl x509 -in "$cert" -noout -serial | cut -d= -f2)
umask 077
openssl ca -config "$pki/ca/openssl.cnf" -revoke "$cert" -crl_reason "$reason" 2>"$pki/ca/revoke.log" ||
  { cat "$pki/ca/revoke.log" >&2; exit 1; }
rm -f "$pki/ca/revoke.log"
mkdir -p "$pki/revoked"
mv "$pki/vehicles/$vin" "$pki/revoked/$vin.$serial"

# Writes the CRL (ca/crl.pem and the broker's copy, broker/crl.pem) with the revocation in it.
"$here/gen-certs.sh" "$pki" >/dev/null
# The text first: grep -q stops at its match, and under pipefail openssl's SIGPIPE would fail.
crl_text=$(openssl crl -in "$pki/broker/crl.pem" -noout -text)
if ! grep -qi "Serial Number: *$serial\b" <<<"$crl_text"; then
  echo "revoke-vehicle: the CRL $pki/broker/crl.pem does not list serial $serial: the revocation did not take" >&2
  exit 1
fi
echo "revoked $vin (serial $serial, $reason); CRL: $pki/broker/crl.pem"

if [[ -n "$pid" ]]; then
  kill -HUP "$pid"
  echo "broker $pid reloaded: new connections with this certificate are refused"
fi
if [[ -n "$restart" ]]; then
  bash -c "$restart"
  echo "broker restarted: every connection, the revoked vehicle's too, made a new handshake"
fi
if [[ -z "$pid" && -z "$restart" ]]; then
  echo "the broker still uses the old CRL: send it SIGHUP (and restart it to cut a connection open now)" >&2
fi
