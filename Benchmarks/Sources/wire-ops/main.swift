// Runs the wire benchmark's operations outside the benchmark harness:
//   wire-ops run OPERATION COUNT   runs one operation COUNT times (scripts/bench-callgrind.sh
//                                  runs this under callgrind and takes differences of counts)
//   wire-ops time [SECONDS]        times every operation for about SECONDS each (default 1,
//                                  by thread CPU time, median of 5 interleaved rounds) and
//                                  prints throughput and ratios to DHWire
//   wire-ops list                  prints the operations' names
//   wire-ops info                  prints the record's sizes
import WireBenchCases

#if canImport(Glibc)
import Glibc
#endif

func fail(_ message: String) -> Never {
    var line = "wire-ops: \(message)\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    exit(2)
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else {
    fail("usage: wire-ops run OPERATION COUNT | time [SECONDS] | list | info")
}

let cases: WireBenchCases
do {
    cases = try WireBenchCases()
} catch {
    fail("setup: \(error)")
}

var sink = 0

switch command {
case "list":
    for operation in WireOperation.allCases { print(operation.rawValue) }

case "info":
    print("binary: \(cases.bytes.count) bytes, JSON: \(cases.json.count) bytes")

case "run":
    guard arguments.count == 3, let operation = WireOperation(rawValue: arguments[1]),
        let count = Int(arguments[2]), count >= 0, count <= 100_000_000
    else { fail("usage: wire-ops run OPERATION COUNT (see wire-ops list)") }
    for _ in 0..<count { sink &+= cases.run(operation) }
    print("\(operation.rawValue) x\(count): \(sink)")

case "time":
    // Each operation is timed in 5 rounds of SECONDS / 5, the operations interleaved, by the
    // thread's CPU time (a loaded machine disturbs it far less than the wall clock); the
    // median round counts.
    let seconds = arguments.count > 1 ? Double(arguments[1]) ?? 0 : 1
    guard seconds > 0, seconds <= 60 else { fail("SECONDS must be in (0, 60]") }
    func cpuNanoseconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) * 1e9 + Double(time.tv_nsec)
    }
    let rounds = 5
    var samples: [WireOperation: [Double]] = [:]
    for operation in WireOperation.allCases {
        for _ in 0..<100 { sink &+= cases.run(operation) }  // warm up
    }
    for _ in 0..<rounds {
        for operation in WireOperation.allCases {
            var operations = 0
            var batch = 64
            let start = cpuNanoseconds()
            var elapsed = 0.0
            while elapsed < seconds / Double(rounds) * 1e9 {
                for _ in 0..<batch { sink &+= cases.run(operation) }
                operations += batch
                elapsed = cpuNanoseconds() - start
                batch = min(batch * 2, 65_536)
            }
            samples[operation, default: []].append(elapsed / Double(operations))
        }
    }
    var nanosecondsPerOperation: [WireOperation: Double] = [:]
    for (operation, values) in samples { nanosecondsPerOperation[operation] = values.sorted()[values.count / 2] }
    print("care record: \(cases.bytes.count) bytes binary, \(cases.json.count) bytes JSON")
    func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
    func fixed(_ value: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        var text = "\(rounded)"
        if let dot = text.firstIndex(of: ".") {
            let decimals = text.distance(from: dot, to: text.endIndex) - 1
            if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
        }
        return text
    }
    print(pad("operation", 28) + pad("ns/op", 12) + pad("ops/s", 12) + "DHWire is ×faster")
    for operation in WireOperation.allCases {
        let ns = nanosecondsPerOperation[operation]!
        let peer = nanosecondsPerOperation[operation.dhWirePeer]!
        let ratio = operation == operation.dhWirePeer ? "" : fixed(ns / peer, 2)
        print(
            pad("\(operation.task) \(operation.implementation)", 28) + pad("\(Int(ns.rounded()))", 12)
                + pad("\(Int((1e9 / ns).rounded()))", 12) + ratio)
    }
    if sink == 42 { print("") }

default:
    fail("unknown command \(command)")
}
