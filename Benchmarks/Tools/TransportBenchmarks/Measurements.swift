// Measuring helpers of the transport benchmark, shared with its grpc-swift-2 peer
// (Benchmarks/Peers/GRPCSwift links this file), so that both report alike.

import Foundation

#if canImport(Glibc)
import Glibc
#endif

struct Latencies {
    var samples: [Duration] = []

    func percentile(_ p: Double) -> Duration {
        guard !samples.isEmpty else { return .zero }
        let sorted = samples.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }
}

func microseconds(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    let micros = Double(seconds) * 1e6 + Double(attoseconds) / 1e12
    return String(format: micros < 10 ? "%.1f µs" : "%.0f µs", micros)
}

func seconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) + Double(attoseconds) / 1e18
}

/// CPU time the process used so far (user and system), which a loaded machine disturbs less
/// than wall-clock time.
func cpuTime() -> Duration {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func duration(_ time: timeval) -> Duration { .seconds(time.tv_sec) + .microseconds(time.tv_usec) }
    return duration(usage.ru_utime) + duration(usage.ru_stime)
}

/// CPU time (user and system) another process used so far: fields 14 and 15 of
/// /proc/PID/stat, in clock ticks.
func processCPUTime(pid: Int32) -> Duration {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return .zero }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // After the command: state is field 3, so utime (14) and stime (15) are at 11 and 12.
    guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return .zero }
    let ticks = Int(sysconf(Int32(_SC_CLK_TCK)))
    return .microseconds((user + system) * 1_000_000 / max(ticks, 1))
}

/// The process's resident memory (VmRSS), in bytes.
func residentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kilobytes * 1024
    }
    return 0
}
