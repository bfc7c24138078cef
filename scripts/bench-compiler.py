#!/usr/bin/env python3
"""Times dh-protoc against protoc on the same inputs, in the same run.

    scripts/bench-compiler.py DH_PROTOC [--runs N] [--callgrind]

Each round compiles every schema in Protos/ and every file of the valid compiler corpus
(Tests/DHProtoCompilerTests/Corpus/valid) into a descriptor set with imports, once with
protoc and once with dh-protoc, alternating so both see the same machine load. Reports the
median CPU time (user + system) and wall time of each and the ratio dh-protoc / protoc.
With --callgrind (and valgrind installed) it also counts the instructions of one run each.
"""
import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def proto_files(directory, skip=()):
    files = []
    for base, _, names in os.walk(directory):
        for name in names:
            if name.endswith(".proto"):
                relative = os.path.relpath(os.path.join(base, name), directory)
                if relative not in skip:
                    files.append(relative)
    return sorted(files)


def jobs(output):
    """(label, working directory, arguments after the compiler) of one round."""
    protos = os.path.join(ROOT, "Protos")
    corpus = os.path.join(ROOT, "Tests/DHProtoCompilerTests/Corpus/valid")
    # own_google_package.proto defines names of the well-known types' package; it is
    # compiled on its own in the tests.
    result = [
        ("Protos", protos, proto_files(protos)),
        ("corpus", corpus, proto_files(corpus, skip={"own_google_package.proto"})),
    ]
    return [
        (label, directory, ["-I.", "--include_imports", "--descriptor_set_out=" + output] + files)
        for label, directory, files in result
        if files
    ]


def timed(command, directory):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=directory, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def instructions(command, directory, scratch):
    out = os.path.join(scratch, "callgrind.out")
    subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out] + command,
        cwd=directory, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as handle:
        for line in handle:
            match = re.match(r"summary:\s+(\d+)", line)
            if match:
                return int(match.group(1))
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dh_protoc")
    parser.add_argument("--protoc", default=shutil.which("protoc"))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--callgrind", action="store_true")
    args = parser.parse_args()
    if not args.protoc:
        sys.exit("bench-compiler: protoc is not on PATH (make setup installs protobuf-compiler)")
    dh = os.path.abspath(args.dh_protoc)
    with tempfile.TemporaryDirectory() as scratch:
        output = os.path.join(scratch, "set.pb")
        work = jobs(output)
        files = sum(len([a for a in arguments if a.endswith(".proto")]) for _, _, arguments in work)
        compilers = {"protoc": args.protoc, "dh-protoc": dh}
        for _, directory, arguments in work:  # warm-up, and both must accept the inputs
            for path in compilers.values():
                timed([path] + arguments, directory)
        samples = {name: {"cpu": [], "wall": []} for name in compilers}
        for _ in range(max(1, args.runs)):
            for name, path in compilers.items():
                cpu = wall = 0.0
                for _, directory, arguments in work:
                    c, w = timed([path] + arguments, directory)
                    cpu += c
                    wall += w
                samples[name]["cpu"].append(cpu)
                samples[name]["wall"].append(wall)
        print(f"compiler: {files} input files ({', '.join(label for label, _, _ in work)}), "
              f"{args.runs} rounds, medians per round")
        median = {name: {k: statistics.median(v) for k, v in s.items()} for name, s in samples.items()}
        for name in compilers:
            print(f"  {name:10} cpu {median[name]['cpu'] * 1000:8.1f} ms   wall {median[name]['wall'] * 1000:8.1f} ms")
        print(f"  ratio dh-protoc/protoc: cpu {median['dh-protoc']['cpu'] / median['protoc']['cpu']:.2f}   "
              f"wall {median['dh-protoc']['wall'] / median['protoc']['wall']:.2f}")
        if args.callgrind:
            if not shutil.which("valgrind"):
                print("  (valgrind not installed: no instruction counts)")
                return
            counts = {}
            for name, path in compilers.items():
                counts[name] = sum(instructions([path] + arguments, directory, scratch)
                                   for _, directory, arguments in work)
                print(f"  {name:10} instructions {counts[name]:>14,}")
            print(f"  ratio dh-protoc/protoc: instructions {counts['dh-protoc'] / counts['protoc']:.2f}")


if __name__ == "__main__":
    main()
