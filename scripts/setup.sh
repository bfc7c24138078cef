#!/usr/bin/env bash
# Installs what DataHealth needs from Debian's packages, and only what is missing.
# Idempotent and quiet when everything is present. Works as root (no sudo needed)
# or as a user with sudo. With arguments, installs those packages instead (the benchmark
# peers' scripts name theirs).
set -euo pipefail

packages=(
    pkg-config          # finds the C libraries for the system-library targets
    libssl-dev          # OpenSSL 3: TLS 1.3 with mutual authentication
    libpq-dev           # libpq: the PostgreSQL client library
    libprotobuf-c-dev   # protobuf-c: the C client kit and wire interop tests
    protobuf-c-compiler # protoc-c: C code for the interop tests
    protobuf-compiler   # protoc: the oracle that dh-protoc is checked against
    libprotobuf-dev     # the well-known .proto files in /usr/include/google/protobuf
    postgresql          # the embedded database cluster (initdb, pg_ctl)
    python3-venv        # Python protobuf interop tests run in a venv
    gcc                 # builds the C client kit and the interop programs
    make
    openssl             # the demo shows a TLS handshake with openssl s_client
)
if (($# > 0)); then packages=("$@"); fi

missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$package")
    fi
done

if ((${#missing[@]} == 0)); then
    exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "setup: missing packages (${missing[*]}) and neither root nor sudo to install them" >&2
    exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
