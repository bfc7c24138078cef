#!/usr/bin/env bash
# DataHealth's end-to-end demonstration.
#   scripts/demo.sh BIN_DIR
# The services are not built yet, so today the demo shows what the build links
# and runs on, and says plainly what it cannot show yet.
set -euo pipefail

bin=${1:?usage: demo.sh BIN_DIR}
step() { printf '\n== %s\n' "$*"; }

step "DataHealth $("$bin/dh" --version): the binaries"
echo "dh:        $bin/dh"
echo "dh-protoc: $("$bin/dh-protoc" --version)"

step "The C libraries dh runs on (read from the loaded libraries, not the headers)"
"$bin/dh" version --libraries

step "protobuf-c, the peer that checks our wire format (a C program linked against it)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/version.c" <<'C'
#include <stdio.h>
#include <protobuf-c/protobuf-c.h>
int main(void) { printf("protobuf-c %s\n", protobuf_c_version()); return 0; }
C
cc -o "$work/version" "$work/version.c" $(pkg-config --cflags --libs libprotobuf-c)
"$work/version"

step "Not shown yet"
echo "The care-record service, the RPC transport, the embedded database and the audit log"
echo "are not built yet, so this demo stops here: it proves the toolchain and the C"
echo "libraries, and nothing more."
