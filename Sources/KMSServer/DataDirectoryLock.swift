import Foundation
import Synchronization

/// An exclusive advisory lock (`flock`) on `<data_dir>/kmsd.lock`, held while one `kmsd`
/// serves that directory.
///
/// Two servers on one SQLite database would each trust their own caches and run their own
/// jobs, so a second `kmsd` on the same `data_dir` must refuse to start. The kernel drops
/// the lock when its holder exits, even by `kill -9`, so a crash never leaves a stale lock.
/// The lock belongs to one open file description: a second `acquire` fails even in the
/// same process. The file is never deleted (deleting it would let two holders coexist).
final class DataDirectoryLock: Sendable {
    /// The lock file's name inside the data directory.
    static let fileName = "kmsd.lock"

    /// The descriptor holding the lock; `nil` once released.
    private let descriptor: Mutex<Int32?>

    private init(descriptor: Int32) {
        self.descriptor = Mutex(descriptor)
    }

    /// Takes the lock of `dataDirectory`, creating the lock file (mode 0600) when missing.
    ///
    /// - Throws: `StartupError` naming the lock file when another holder has it, or when the
    ///   file cannot be opened or locked.
    static func acquire(dataDirectory: String) throws(StartupError) -> DataDirectoryLock {
        let path = (dataDirectory as NSString).appendingPathComponent(fileName)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StartupError("cannot open the lock file \(path) of data_dir \(dataDirectory): \(String(cString: strerror(errno)))")
        }
        var result: Int32
        repeat {
            result = flock(descriptor, LOCK_EX | LOCK_NB)
        } while result != 0 && errno == EINTR
        guard result == 0 else {
            let code = errno
            _ = close(descriptor)
            if code == EWOULDBLOCK {
                throw StartupError(
                    "another kmsd is already serving data_dir \(dataDirectory) (lock file \(path) held); stop it first"
                )
            }
            throw StartupError("cannot lock \(path) of data_dir \(dataDirectory): \(String(cString: strerror(code)))")
        }
        return DataDirectoryLock(descriptor: descriptor)
    }

    /// Gives the lock up by closing its descriptor; later calls do nothing.
    func release() {
        let held = descriptor.withLock { current -> Int32? in
            let held = current
            current = nil
            return held
        }
        guard let held else { return }
        _ = close(held)
    }

    deinit { release() }
}
