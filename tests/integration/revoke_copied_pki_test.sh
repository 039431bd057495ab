#!/usr/bin/env bash
# deploy/revoke-vehicle.sh on a PKI copied to another directory (as docs/deploy.md moves run/pki
# to /etc/fb/pki): the revocation lands in the copy's CA database and its CRL, not in the
# directory the copy came from.
#   revoke_copied_pki_test.sh <deploy-dir> <work-dir>
set -euo pipefail
deploy=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
vin=LSVAX60E5K2000001
"$deploy/gen-certs.sh" "$work/original" "$vin" LSVAX60E5K2000002 >/dev/null
cp -a "$work/original" "$work/copy"
serial=$(openssl x509 -in "$work/copy/vehicles/$vin/client.crt" -noout -serial | cut -d= -f2)
"$deploy/revoke-vehicle.sh" "$work/copy" "$vin" 2>/dev/null
listed() { openssl crl -in "$1/broker/crl.pem" -noout -text | grep -ci "Serial Number: *$serial" || true; }
[[ $(listed "$work/copy") == 1 ]] || { echo "the copy's CRL does not list $serial"; exit 1; }
[[ $(listed "$work/original") == 0 ]] || { echo "the revocation went into the original's CA"; exit 1; }
grep -q "^R" "$work/copy/ca/index.txt" || { echo "the copy's CA database has no revoked entry"; exit 1; }
if grep -q "^R" "$work/original/ca/index.txt"; then echo "the original's CA database was changed"; exit 1; fi
echo REVOKE_COPIED_PKI_OK
