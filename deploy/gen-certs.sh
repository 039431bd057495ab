#!/usr/bin/env bash
# Generates the project's PKI: a CA, the broker's server certificate, the backend's client
# certificate and one client certificate per vehicle (CN = VIN). Re-running adds missing
# vehicles and keeps what exists. Keys are EC P-256.
#
#   deploy/gen-certs.sh <pki-dir> [VIN ...]
#
# Layout written:
#   <pki>/ca/ca.{key,crt}                    the CA (key stays here, mode 600)
#   <pki>/broker/{ca.crt,broker.crt,broker.key}
#   <pki>/backend/{ca.crt,client.crt,client.key}      CN = fb-backend
#   <pki>/vehicles/<VIN>/{ca.crt,client.crt,client.key} CN = <VIN>
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 <pki-dir> [VIN ...]" >&2
  exit 2
fi
pki=$1; shift
days=825
umask 077
mkdir -p "$pki/ca" "$pki/broker" "$pki/backend" "$pki/vehicles"

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# sign <dir> <cert-name> <key-name> <subject CN> <extensions>
sign() {
  local dir=$1 cert=$2 key=$3 cn=$4 ext=$5
  [[ -s "$dir/$cert" ]] && return 0
  new_key "$dir/$key"
  openssl req -new -key "$dir/$key" -subj "/O=Vehicle Feedback Loop/CN=$cn" -out "$dir/req.csr"
  openssl x509 -req -in "$dir/req.csr" -CA "$pki/ca/ca.crt" -CAkey "$pki/ca/ca.key" -CAcreateserial \
    -days "$days" -sha256 -extfile <(printf '%s\n' "$ext") -out "$dir/$cert" 2>/dev/null
  rm -f "$dir/req.csr"
  cp "$pki/ca/ca.crt" "$dir/ca.crt"
}

if [[ ! -s "$pki/ca/ca.crt" ]]; then
  new_key "$pki/ca/ca.key"
  openssl req -new -x509 -key "$pki/ca/ca.key" -subj "/O=Vehicle Feedback Loop/CN=Feedback Loop CA" \
    -days 3650 -sha256 -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$pki/ca/ca.crt"
fi

sign "$pki/broker" broker.crt broker.key fb-broker \
  "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1"

client_ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"

sign "$pki/backend" client.crt client.key fb-backend "$client_ext"

for vin in "$@"; do
  if [[ ! "$vin" =~ ^[A-HJ-NPR-Z0-9]{17}$ ]]; then
    echo "gen-certs: '$vin' is not a 17-character VIN (ISO 3779: digits and A-Z without I, O, Q)" >&2
    exit 2
  fi
  mkdir -p "$pki/vehicles/$vin"
  sign "$pki/vehicles/$vin" client.crt client.key "$vin" "$client_ext"
done

# Certificates are public; directories must be traversable by the broker's user.
chmod 755 "$pki" "$pki/broker" "$pki/vehicles"
chmod 644 "$pki/ca/ca.crt" "$pki/broker/"*.crt
