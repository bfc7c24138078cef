#!/usr/bin/env bash
# Records the compiled-in copy of google/protobuf/descriptor.proto that dh-protoc interprets
# built-in options with (as protoc does with its own copy), from the system's file.
#   scripts/record-builtin-descriptor.sh DH_PROTOC
# DHProtoCompilerTests fail when the recorded copy differs from the system's file.
set -euo pipefail
protoc=${1:?usage: record-builtin-descriptor.sh DH_PROTOC}
out=Codegen/DHProtoCompiler/BuiltinDescriptorProto.swift
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$protoc" --descriptor_set_out="$scratch/set.pb" google/protobuf/descriptor.proto
{
    echo "// DO NOT EDIT: recorded by scripts/record-builtin-descriptor.sh from the system's"
    echo "// google/protobuf/descriptor.proto (a FileDescriptorSet holding that one file, base64)."
    echo
    echo "enum BuiltinDescriptorProto {"
    echo "    static let setBase64 = \"\"\""
    # Each line ends in a backslash: the literal holds no newlines, so it decodes as it is.
    base64 -w 96 "$scratch/set.pb" | sed 's/^/        /; $!s/$/\\/'
    echo "        \"\"\""
    echo "}"
} >"$out"
echo "recorded $out ($(stat -c %s "$scratch/set.pb") bytes)"
