import NIOCore
import NIOPosix
import Synchronization

/// Where a program's tasks run.
public enum TransportExecution {
    private static let installed = Mutex<Bool?>(nil)

    /// Makes the event loops that both transports use by default (SwiftNIO's shared group, one
    /// loop per core) Swift's global executor for the whole process. A task then continues on
    /// the event loop that resumed it: a caller awaiting a response goes on where the response
    /// arrived instead of being handed to a thread of Swift's pool, which saves the thread
    /// wake-ups of every call (docs/TRANSPORT.md has the figures).
    ///
    /// For client programs whose tasks never block a thread: a task that blocks (a synchronous
    /// file or database call, a lock held long) blocks every connection on its loop. Call it
    /// first in `main`, before any task starts. Returns whether the event loops now serve as
    /// the global executor; later calls return the first call's answer.
    @discardableResult
    public static func useEventLoopsAsGlobalExecutor() -> Bool {
        installed.withLock { installed in
            if let installed { return installed }
            let result = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
            installed = result
            return result
        }
    }
}
