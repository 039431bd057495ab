#!/usr/bin/env bash
# Generates the project's PKI: a CA, the broker's server certificate, the backend's client
# certificate and one client certificate per vehicle (CN = VIN). Re-running adds missing
# vehicles and keeps what exists. Keys are EC P-256. Certificates are issued by `openssl ca`,
# so the CA keeps a database of what it issued and can revoke (deploy/revoke-vehicle.sh); every
# run writes a fresh certificate revocation list (CRL) for the broker (docs/deploy.md: its
# lifetime, FB_CRL_DAYS, and why it must be renewed before it lapses).
#
#   deploy/gen-certs.sh <pki-dir> [VIN ...]
#
# Layout written:
#   <pki>/ca/ca.{key,crt}                    the CA (key stays here, mode 600)
#   <pki>/ca/{openssl.cnf,index.txt,serial,crlnumber,issued/,crl.pem}   the CA database
#   <pki>/broker/crl.pem                     the CRL the broker reads (crlfile)
#   <pki>/broker/{ca.crt,broker.crt,broker.key}
#   <pki>/backend/{ca.crt,client.crt,client.key}      CN = fb-backend
#   <pki>/backends/<name>/{ca.crt,client.crt,client.key}  CN = <name>, for each further backend
#                                            instance named in FB_BACKENDS (e.g. "fb-backend-2"):
#                                            each instance has its own identity (docs/deploy.md)
#   <pki>/vehicles/<VIN>/{ca.crt,client.crt,client.key} CN = <VIN>
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 <pki-dir> [VIN ...]" >&2
  exit 2
fi
pki=$1; shift
days=825
# A CRL's nextUpdate. The broker refuses every client once it has passed: renew well before.
crl_days=${FB_CRL_DAYS:-30}
umask 077
mkdir -p "$pki/ca" "$pki/broker" "$pki/backend" "$pki/vehicles"
pki=$(cd "$pki" && pwd)

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# sign <dir> <cert-name> <key-name> <subject CN> <extensions>
sign() {
  local dir=$1 cert=$2 key=$3 cn=$4 ext=$5
  [[ -s "$dir/$cert" ]] && return 0
  new_key "$dir/$key"
  openssl req -new -key "$dir/$key" -subj "/O=Vehicle Feedback Loop/CN=$cn" -out "$dir/req.csr"
  printf '%s\n' "$ext" >"$dir/req.ext"
  openssl ca -batch -notext -config "$pki/ca/openssl.cnf" -days "$days" -extfile "$dir/req.ext" \
    -in "$dir/req.csr" -out "$dir/$cert" 2>"$dir/req.log" || { cat "$dir/req.log" >&2; return 1; }
  rm -f "$dir/req.ext" "$dir/req.log" "$dir/req.csr"
  cp "$pki/ca/ca.crt" "$dir/ca.crt"
}

if [[ ! -s "$pki/ca/ca.crt" ]]; then
  new_key "$pki/ca/ca.key"
  openssl req -new -x509 -key "$pki/ca/ca.key" -subj "/O=Vehicle Feedback Loop/CN=Feedback Loop CA" \
    -days 3650 -sha256 -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$pki/ca/ca.crt"
fi

# The CA database. A PKI made before it existed gets an empty one: its certificates can still
# be revoked (`openssl ca -revoke` adds a certificate it does not know). Serials start at a
# random 128-bit number, as the old `-CAcreateserial` ones did, so they do not collide.
mkdir -p "$pki/ca/issued"
touch "$pki/ca/index.txt"
[[ -s "$pki/ca/index.txt.attr" ]] || echo "unique_subject = no" >"$pki/ca/index.txt.attr"
[[ -s "$pki/ca/serial" ]] || echo "1$(openssl rand -hex 16 | cut -c2- | tr a-f A-F)" >"$pki/ca/serial"
[[ -s "$pki/ca/crlnumber" ]] || echo 1000 >"$pki/ca/crlnumber"
cat >"$pki/ca/openssl.cnf" <<CNF
# Written by deploy/gen-certs.sh: the CA database for issuing, revoking and the CRL.
[ ca ]
default_ca = fb_ca

[ fb_ca ]
dir              = $pki/ca
database         = \$dir/index.txt
serial           = \$dir/serial
crlnumber        = \$dir/crlnumber
new_certs_dir    = \$dir/issued
certificate      = \$dir/ca.crt
private_key      = \$dir/ca.key
default_md       = sha256
default_crl_days = $crl_days
# The request's subject as it is (O, then CN), checked by the policy below.
preserve         = yes
policy           = fb_policy
# A vehicle whose certificate was revoked can be issued a new one with the same CN.
unique_subject   = no
crl_extensions   = fb_crl_ext

[ fb_policy ]
organizationName = supplied
commonName       = supplied

[ fb_crl_ext ]
authorityKeyIdentifier = keyid:always
CNF

sign "$pki/broker" broker.crt broker.key fb-broker \
  "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1"

client_ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"

sign "$pki/backend" client.crt client.key fb-backend "$client_ext"

for name in ${FB_BACKENDS:-}; do
  if [[ ! "$name" =~ ^fb-backend-[a-z0-9-]{1,40}$ ]]; then
    echo "gen-certs: backend instance '$name' must be named fb-backend-<a-z, 0-9, ->" >&2
    exit 2
  fi
  mkdir -p "$pki/backends/$name"
  sign "$pki/backends/$name" client.crt client.key "$name" "$client_ext"
done

for vin in "$@"; do
  if [[ ! "$vin" =~ ^[A-HJ-NPR-Z0-9]{17}$ ]]; then
    echo "gen-certs: '$vin' is not a 17-character VIN (ISO 3779: digits and A-Z without I, O, Q)" >&2
    exit 2
  fi
  mkdir -p "$pki/vehicles/$vin"
  sign "$pki/vehicles/$vin" client.crt client.key "$vin" "$client_ext"
done

# A fresh CRL on every run (deploy/revoke-vehicle.sh and a renewal both come through here too).
openssl ca -gencrl -config "$pki/ca/openssl.cnf" -out "$pki/ca/crl.pem.new" 2>"$pki/ca/gencrl.log" ||
  { cat "$pki/ca/gencrl.log" >&2; exit 1; }
rm -f "$pki/ca/gencrl.log"
mv "$pki/ca/crl.pem.new" "$pki/ca/crl.pem"
# Written beside, then renamed: a broker reloading at that moment reads the old or the new file.
cp "$pki/ca/crl.pem" "$pki/broker/crl.pem.new"
chmod 644 "$pki/broker/crl.pem.new"
mv "$pki/broker/crl.pem.new" "$pki/broker/crl.pem"

# Certificates are public; directories must be traversable by the broker's user.
chmod 755 "$pki" "$pki/broker" "$pki/vehicles"
chmod 644 "$pki/ca/ca.crt" "$pki/broker/"*.crt "$pki/ca/crl.pem"
