internal import NIOCore
internal import Synchronization

/// Runs tasks on one event loop: a task that prefers it (`Task(executorPreference:)`) runs its
/// jobs between the loop's I/O, so handing work between the task and the connection it uses
/// needs no thread wake-up and no lock contention.
///
/// A job enqueued from the loop's own thread is appended to the loop's task queue without waking
/// it; from any other thread it wakes the loop like any `execute`.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop
    /// Jobs enqueued and not yet started.
    private let queued = Atomic<Int>(0)

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Whether jobs wait to run here: a connection that has output holds it for them to add
    /// theirs (one write for all) rather than write now.
    var hasQueuedJobs: Bool { queued.load(ordering: .relaxed) > 0 }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queued.add(1, ordering: .relaxed)
        eventLoop.execute {
            self.queued.subtract(1, ordering: .relaxed)
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
