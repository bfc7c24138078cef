// The libFuzzer entry point for the dh-rpc frame decoder and state machines (see
// `fuzzFrameDecoder` for what it checks).
//
// Fuzzing:
//   swift build --scratch-path .build-fuzz -c release --product dh-rpc-fuzz \
//     --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address
// (SwiftPM's --sanitize=fuzzer alone links libFuzzer but may leave the modules without coverage
// counters: the run then prints no "Loaded 1 modules" line and finds nothing.)
//   mkdir -p Fuzz/work && cp Fuzz/corpus/frame-decoder/* Fuzz/work/
//   .build-fuzz/release/dh-rpc-fuzz Fuzz/work -max_total_time=60
// Replaying one input (a crash):   .build-fuzz/release/dh-rpc-fuzz crash-FILE
// Keep a crash by copying its file into Fuzz/corpus/frame-decoder/: the DHRPC tests replay that
// directory. Built without the fuzzer (as in every normal build) this program does nothing.

import DHRPCFuzzing

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    guard let start, count > 0 else {
        fuzzFrameDecoder([])
        return 0
    }
    fuzzFrameDecoder(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
