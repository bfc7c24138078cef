#!/usr/bin/env bash
# DataHealth's end-to-end demonstration, on this machine only (loopback, a throwaway directory).
#   scripts/demo.sh BIN_DIR
# It shows what the build can do today and says plainly what it cannot show yet.
set -euo pipefail

bin=${1:?usage: demo.sh BIN_DIR}
dh=$bin/dh
step() { printf '\n== %s\n' "$*"; }

work=$(mktemp -d /tmp/datahealth-demo.XXXXXX)
chmod 755 "$work"   # the embedded PostgreSQL runs as the postgres user when we are root
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then kill -TERM "$server_pid" || true; fi
    "$dh" migrate status --data-dir "$work/data" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

step "DataHealth $("$dh" --version), and the C libraries it runs on"
"$dh" version --libraries
echo "dh-protoc: $("$bin/dh-protoc" --version)"

step "Our compiler reads the care-record schemas and writes the same descriptor set as protoc"
"$bin/dh-protoc" -IProtos --include_imports --descriptor_set_out="$work/dh.pb" \
    datahealth/v1/care_record.proto
protoc -IProtos --include_imports --descriptor_set_out="$work/protoc.pb" datahealth/v1/care_record.proto
if cmp -s "$work/dh.pb" "$work/protoc.pb"; then
    echo "dh-protoc and protoc agree byte for byte ($(stat -c %s "$work/dh.pb") bytes)"
else
    echo "dh-protoc and protoc DIFFER" >&2
    exit 1
fi

step "A development PKI: a CA, a server certificate, one client certificate per role"
"$dh" pki init "$work/pki" | tail -n 12

step "The authorization policy decides, and explains, who may call what"
"$dh" policy check deploy/policy.conf --identity dh://1312345678/gateway/dev-gateway \
    --method /datahealth.v1.CareRecordService/GetPatientSummary --acting-user D0001 --purpose treatment \
    --institution 1312345678 | tail -n 1
set +e
"$dh" policy check deploy/policy.conf --identity dh://datahealth-dev/researcher/dev-researcher \
    --method /datahealth.v1.CareRecordService/GetPatientSummary | tail -n 1
denied=$?
set -e

step "The embedded PostgreSQL cluster, created in the data directory, and the schema's migrations"
"$dh" migrate up --data-dir "$work/data"
"$dh" migrate status --data-dir "$work/data"

step "The server over mutual TLS 1.3 on loopback"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$dh" serve --pki "$work/pki" --data-dir "$work/data" --policy deploy/policy.conf \
    --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
    if grep -q "listening" "$work/serve.log" 2>/dev/null; then break; fi
    sleep 0.1
done
cat "$work/serve.log"
# In TLS 1.3 the server judges the client's certificate after the client has finished its side
# of the handshake, so the client stays a moment to hear the verdict.
handshake() {
    (sleep 1) | openssl s_client -connect "127.0.0.1:$port" -tls1_3 -alpn dh-rpc/1 \
        -CAfile "$work/pki/ca.crt.pem" -servername localhost "$@" 2>&1 | tr -d '\000'
}
result=$(handshake -cert "$work/pki/clients/gateway.crt.pem" -key "$work/pki/clients/gateway.key.pem" || true)
echo "a gateway with its certificate: $(grep -E '^(New, TLSv1.3|ALPN protocol)' <<<"$result" | tr '\n' ' ')"
if ! grep -q "ALPN protocol: dh-rpc/1" <<<"$result"; then
    echo "the handshake with a valid client certificate failed" >&2
    exit 1
fi
result=$(handshake || true)
if grep -qi "alert certificate required" <<<"$result"; then
    echo "a client without a certificate: refused with the TLS alert 'certificate required'"
else
    echo "a client without a certificate was NOT refused" >&2
    exit 1
fi
kill -TERM "$server_pid"
wait "$server_pid"
echo "SIGTERM: the server shut down cleanly (exit status $?)"
server_pid=""

step "Not shown yet"
echo "dh serve hosts the care-record service behind the policy and the audit log (tested end to end"
echo "over mutual TLS in DHServerTests), but the C client kit, dh call and synthetic data are not"
echo "built yet, so no records flow in this demo."
echo "The policy refusal above (exit status $denied) is the decision a researcher's call would meet."
