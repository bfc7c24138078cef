internal import NIOCore

/// Runs tasks on one event loop: a task that prefers it (`Task(executorPreference:)`) runs its
/// jobs between the loop's I/O, so handing work between the task and the connection it uses
/// needs no thread wake-up and no lock contention.
///
/// A job enqueued from the loop's own thread is appended to the loop's task queue without waking
/// it; from any other thread it wakes the loop like any `execute`.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
