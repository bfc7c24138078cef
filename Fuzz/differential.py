#!/usr/bin/env python3
"""Differential fuzzing of dh-protoc against protoc.

Mutates copies of the valid corpus token by token, compiles each mutant with protoc and
dh-protoc, and reports every disagreement: accepted by one only, a different first error
line, or different descriptor bytes. Mutants that disagree are kept in Fuzz/work/differential/.

    swift build -c release --product dh-protoc
    Fuzz/differential.py [--seed N] [--runs N]
"""
import argparse
import os
import random
import re
import shutil
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "Tests/DHProtoCompilerTests/Corpus/valid")
KEEP = os.path.join(ROOT, "Fuzz/work/differential")

TOKEN = re.compile(
    r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|[A-Za-z_][A-Za-z0-9_]*|0x[0-9a-fA-F]+'
    r'|[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|//[^\n]*|/\*.*?\*/|\s+|.', re.S)
WORDS = (
    "message enum optional repeated required map oneof reserved extensions extend option import public "
    "weak package syntax service rpc returns stream max to group default json_name packed deprecated "
    "true false int32 string bytes double float uint64 sint32 fixed64 inf nan allow_alias map_entry "
    "ctype CORD jstype JS_STRING lazy message_set_wire_format java_package optimize_for LITE_RUNTIME "
    "SPEED idempotency_level NO_SIDE_EFFECTS - = ; { } [ ] ( ) < > , . 0 1 -1 19000 536870911 "
    "536870912 2147483647 \"x\" '\\x41' \"\\q\" /* //").split() + ["\t", "\n"]


def compile_with(command, directory, name, output):
    result = subprocess.run(
        command + ["-I.", "--include_imports", "-o", output, name],
        cwd=directory, capture_output=True, text=True, errors="replace", timeout=60)
    lines = [line for line in result.stderr.split("\n")
             if line and not line.startswith("[libprotobuf") and "warning:" not in line]
    return result.returncode, lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--dh-protoc", default=os.path.join(ROOT, ".build/release/dh-protoc"))
    parser.add_argument("--corpus", default=CORPUS, help="directory of .proto files to mutate (the import root)")
    arguments = parser.parse_args()
    corpus = arguments.corpus
    random.seed(arguments.seed)
    files = sorted(
        os.path.relpath(os.path.join(root, name), corpus)
        for root, _, names in os.walk(corpus) for name in names if name.endswith(".proto"))
    counts = {}
    with tempfile.TemporaryDirectory() as scratch:
        work = os.path.join(scratch, "corpus")
        for run in range(arguments.runs):
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(corpus, work)
            name = random.choice(files)
            path = os.path.join(work, name)
            with open(path, encoding="utf-8") as source:
                tokens = TOKEN.findall(source.read())
            for _ in range(random.randint(1, 3)):
                index = random.randrange(len(tokens))
                choice = random.random()
                if choice < 0.3:
                    del tokens[index]
                elif choice < 0.6:
                    tokens[index] = random.choice(WORDS)
                elif choice < 0.8:
                    tokens.insert(index, " " + random.choice(WORDS) + " ")
                else:
                    tokens.insert(index, tokens[random.randrange(len(tokens))])
            with open(path, "w", encoding="utf-8") as mutant:
                mutant.write("".join(tokens))
            theirs = os.path.join(scratch, "protoc.pb")
            ours = os.path.join(scratch, "dh.pb")
            protoc_status, protoc_lines = compile_with(["protoc"], work, name, theirs)
            our_status, our_lines = compile_with([arguments.dh_protoc], work, name, ours)
            if (protoc_status == 0) != (our_status == 0):
                verdict = "accepted-by-one"
            elif protoc_status != 0:
                verdict = "same-error" if protoc_lines[:1] == our_lines[:1] else "different-error"
            else:
                with open(theirs, "rb") as a, open(ours, "rb") as b:
                    verdict = "same-output" if a.read() == b.read() else "different-output"
            counts[verdict] = counts.get(verdict, 0) + 1
            if verdict in ("accepted-by-one", "different-error", "different-output"):
                os.makedirs(KEEP, exist_ok=True)
                kept = os.path.join(KEEP, "seed%d-run%d-%s" % (arguments.seed, run, os.path.basename(name)))
                shutil.copy(path, kept)
                print("%s: %s" % (verdict, kept))
                print("  protoc:    %s" % protoc_lines[:1])
                print("  dh-protoc: %s" % our_lines[:1])
    print(counts)


if __name__ == "__main__":
    main()
