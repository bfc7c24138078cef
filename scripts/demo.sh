#!/usr/bin/env bash
# DataHealth end to end, on this machine only (loopback, a throwaway directory):
#   scripts/demo.sh BIN_DIR
# A development PKI, the server on its embedded PostgreSQL, synthetic records submitted by a
# hospital gateway written with the C client kit, a clinician elsewhere reading the merged
# summary, an emergency read, a refused researcher, a retried batch, the audit log verified.
set -euo pipefail

bin=${1:?usage: demo.sh BIN_DIR}
dh=$bin/dh
root=$(pwd)
step() { printf '\n== %s\n' "$*"; }
say() { printf '   %s\n' "$*"; }

work=$(mktemp -d /tmp/datahealth-demo.XXXXXX)
chmod 755 "$work"   # the embedded PostgreSQL runs as the postgres user when we are root
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

hospital=1312345678   # 東京都 (13), medical (1): the hospital that submits
clinic=2712345678     # 大阪府 (27): the clinic where the patient turns up

step "DataHealth $("$dh" --version), and the C libraries it runs on"
"$dh" version --libraries | sed 's/^/   /'

step "Our compiler reads the schemas and writes the same descriptor set as protoc"
"$bin/dh-protoc" -IProtos --include_imports --descriptor_set_out="$work/dh.pb" datahealth/v1/care_record.proto
protoc -IProtos --include_imports --descriptor_set_out="$work/protoc.pb" datahealth/v1/care_record.proto
if cmp -s "$work/dh.pb" "$work/protoc.pb"; then
    say "dh-protoc and protoc agree byte for byte on care_record.proto ($(stat -c %s "$work/dh.pb") bytes)"
else
    echo "dh-protoc and protoc DIFFER" >&2
    exit 1
fi

step "The C client kit for hospital gateways (deploy/clients/c)"
make --no-print-directory -s -C deploy/clients/c BUILD="$work/ckit" >/dev/null
gateway_c=$work/ckit/dh-gateway-example
say "built libdhrpc.a and dh-gateway-example with OpenSSL $(pkg-config --modversion openssl) and protobuf-c $(pkg-config --modversion libprotobuf-c)"

step "A development PKI: a CA, the server, one client per role, and the two hospitals' gateways"
"$dh" pki init "$work/pki" >/dev/null
"$dh" pki issue "$work/pki" --identity "dh://$hospital/gateway/gw-01" --name hospital-gw >/dev/null
"$dh" pki issue "$work/pki" --identity "dh://$clinic/gateway/gw-01" --name clinic-gw >/dev/null
say "CA, server certificate (localhost, 127.0.0.1), ops/researcher/... clients"
say "gateway of hospital $hospital: dh://$hospital/gateway/gw-01"
say "gateway of clinic   $clinic: dh://$clinic/gateway/gw-01"
tls() { echo --ca "$work/pki/ca.crt.pem" --cert "$work/pki/clients/$1.crt.pem" --key "$work/pki/clients/$1.key.pem"; }

step "The server: embedded PostgreSQL, migrations, audit log, policy, mutual TLS 1.3"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
target=127.0.0.1:$port
"$dh" serve --pki "$work/pki" --data-dir "$work/data" --policy deploy/policy.conf \
    --listen "$target" >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do
    if grep -q "listening" "$work/serve.log" 2>/dev/null; then break; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then cat "$work/serve.log" >&2; exit 1; fi
    sleep 0.1
done
sed 's/^/   /' "$work/serve.log"
health=$("$dh" call "$target" datahealth.ops.v1.Health/Check $(tls ops) -d '{}')
say "health check (what a load balancer asks): $health"
say "services, through reflection: $("$dh" list "$target" $(tls ops) | tr '\n' ' ')"

step "Synthetic patients of hospital $hospital (dh synth: names, insurer numbers, ICD-10, YJ, JLAC10)"
"$dh" synth --seed 2026 --patients 300 --institution "$hospital" --format binary-delimited \
    --out "$work/hospital.bin" 2>/dev/null
"$dh" synth --seed 2026 --patients 300 --institution "$hospital" --out "$work/hospital.jsonl" 2>/dev/null
say "$(wc -l <"$work/hospital.jsonl") records for 300 patients, e.g. the first one:"
head -c 300 "$work/hospital.jsonl" | sed 's/^/   /'
echo " …"

step "The hospital's gateway (C client kit) submits them in batches of 200"
"$gateway_c" --host 127.0.0.1 --port "$port" --server-name localhost --ca "$work/pki/ca.crt.pem" \
    --cert "$work/pki/clients/hospital-gw.crt.pem" --key "$work/pki/clients/hospital-gw.key.pem" \
    submit --records "$work/hospital.bin" --batch 200 >"$work/submit1.log"
tail -n 1 "$work/submit1.log" | sed 's/^/   /'
grep -q " REJECTED" "$work/submit1.log" && { echo "records were rejected" >&2; exit 1; }

step "A retried submission (the gateway lost the acknowledgement): nothing is stored twice"
"$gateway_c" --host 127.0.0.1 --port "$port" --server-name localhost --ca "$work/pki/ca.crt.pem" \
    --cert "$work/pki/clients/hospital-gw.crt.pem" --key "$work/pki/clients/hospital-gw.key.pem" \
    submit --records "$work/hospital.bin" --batch 200 >"$work/submit2.log"
tail -n 1 "$work/submit2.log" | sed 's/^/   /'
if grep -q " ACCEPTED" "$work/submit2.log"; then echo "a retried record was stored again" >&2; exit 1; fi

step "The patient visits a clinic in Osaka; its gateway records what it saw (dh synth --submit)"
"$dh" synth --seed 2026 --patients 1 --records-per-patient 1 --institution "$clinic" \
    --submit "$target" $(tls clinic-gw) 2>/dev/null | sed 's/^/   /'
patient=$(head -n 1 "$work/hospital.jsonl" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["patient"]))')
facts=$(head -n 1 "$work/hospital.jsonl" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["patientFacts"]))')
say "patient: $(python3 -c "import json; f=json.loads('''$facts'''); print(f['name'], '(' + f['nameKana'] + '),', 'born', '%d-%02d-%02d' % (f['birthDate']['year'], f['birthDate']['month'], f['birthDate']['day']))")"

step "Dr. D0001 at the clinic reads the merged summary, with the patient's consent given at the card reader"
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
"$dh" call "$target" datahealth.v1.CareRecordService/GetPatientSummary $(tls clinic-gw) \
    -H dh-purpose:treatment -H dh-acting-user:D0001 \
    -d "{\"patient\": $patient, \"consent\": {\"channel\": \"CONSENT_CHANNEL_CARD_READER\", \"givenAt\": \"$now\"}}" \
    >"$work/summary.json"
python3 - "$work/summary.json" <<'EOF'
import json, sys
summary = json.load(open(sys.argv[1]))
items = summary.get("items", [])
print(f"   patient id (pseudonym): {summary['patientId'][:16]}…  items: {len(items)}")
for item in items[:8]:
    kind = next(k for k in item if k not in ("provenance", "version", "undisclosed", "undisclosedAsOf"))
    body = item[kind]
    if kind == "diagnosis":
        what = body["disease"]["codings"][0]["code"] + " " + body["disease"].get("text", "")
    elif kind == "labResult":
        what = body["test"].get("text", "") + " " + body.get("quantity", {}).get("value", "") + " " + body.get("quantity", {}).get("unit", "")
    elif kind == "prescription":
        what = ", ".join(m["drug"].get("text", "") for m in body.get("medications", []))
    elif kind == "infection":
        analytes = {"ANALYTE_SYPHILIS_STS": "梅毒STS", "ANALYTE_SYPHILIS_TP_ANTIBODY": "梅毒TP抗体",
                    "ANALYTE_HBS_ANTIGEN": "HBs抗原", "ANALYTE_HCV_ANTIBODY": "HCV抗体", "ANALYTE_HIV_ANTIBODY": "HIV抗体"}
        readings = {"INTERPRETATION_NEGATIVE": "陰性", "INTERPRETATION_POSITIVE": "陽性",
                    "INTERPRETATION_INDETERMINATE": "判定保留"}
        test = body.get("test", {}).get("text") or analytes.get(body.get("analyte", ""), "")
        what = test + " " + readings.get(body.get("interpretation", ""), "")
    elif kind == "allergy":
        what = body["substance"].get("text", "") + " (" + body.get("reaction", "") + ")"
    else:
        what = ""
    origin = item["provenance"]["institution"]
    print(f"   {kind:<22} {what[:44]:<44} from {origin['code']} {origin.get('name', '')}")
institutions = {item["provenance"]["institution"]["code"] for item in items}
print(f"   institutions in the summary: {', '.join(sorted(institutions))}")
if len(institutions) < 2:
    sys.exit("the summary is not merged across institutions")
EOF

step "Emergency: an unconscious patient without a card, found by the four basic facts (break-glass)"
"$dh" call "$target" datahealth.v1.CareRecordService/GetEmergencySummary $(tls clinic-gw) \
    -H dh-purpose:emergency -H dh-acting-user:D0002 \
    -d "{\"basicFacts\": $facts, \"reason\": \"意識障害で救急搬送、保険証なし、本人同意取得不能\"}" >"$work/emergency.json"
python3 -c "
import json; s = json.load(open('$work/emergency.json'))
print('   read', len(s.get('items', [])), 'items; access ends at', s.get('accessExpiresAt'), '(time-boxed, flagged for review)')"

step "A researcher's certificate asks for the same summary"
set +e
"$dh" call "$target" datahealth.v1.CareRecordService/GetPatientSummary $(tls researcher) \
    -H dh-purpose:research -d "{\"patient\": $patient}" 2>"$work/refused.txt" >/dev/null
status=$?
set -e
say "exit status $status: $(cat "$work/refused.txt")"
[[ $status == 7 ]] || { echo "the researcher was not refused with PERMISSION_DENIED" >&2; exit 1; }

step "Shutdown (SIGTERM): calls in flight finish, a last tree head is signed, PostgreSQL stops"
kill -TERM "$server_pid"
wait "$server_pid"
status=$?
server_pid=""
tail -n 4 "$work/serve.log" | sed 's/^/   /'
say "the server exited with status $status"

step "The audit log: every call above, in a Merkle tree whose signed heads anyone can check"
"$dh" audit public-key "$work/data/audit-log.key.pem" >"$work/audit.pub.pem"
"$dh" audit verify --data-dir "$work/data" --public-key "$work/audit.pub.pem" | sed 's/^/   /'
pseudonym=$(python3 -c "import json; print(json.load(open('$work/summary.json'))['patientId'])")
say "who looked at this patient's record, when and why:"
"$dh" audit query --data-dir "$work/data" --patient "$pseudonym" | sed 's/^/   /'
