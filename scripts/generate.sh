#!/usr/bin/env bash
# Regenerates the Swift code for every schema in Protos/ with our own compiler.
#   scripts/generate.sh DH_PROTOC [OUTPUT_DIR]
# OUTPUT_DIR defaults to Sources/DHSchemas/Generated, where the generated code is committed.
set -euo pipefail

protoc=${1:?usage: generate.sh DH_PROTOC [OUTPUT_DIR]}
output=${2:-Sources/DHSchemas/Generated}

mapfile -t schemas < <(cd Protos && find . -name '*.proto' -printf '%P\n' | LC_ALL=C sort)
if ((${#schemas[@]} == 0)); then
    echo "generate: Protos/ holds no schemas yet; nothing to generate"
    exit 0
fi

# Into a fresh directory first: a failing compiler leaves the committed code as it was.
fresh="$output.new"
rm -rf "$fresh"
mkdir -p "$fresh"
"$protoc" --proto_path=Protos --swift_opt=Visibility=Public,Descriptors=Embed --swift_out="$fresh" "${schemas[@]}"
rm -rf "$output"
mv "$fresh" "$output"
echo "generate: ${#schemas[@]} schemas -> $output"
