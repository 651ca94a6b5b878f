import NIOCore
import NIOPosix
import Synchronization

/// The handshake deadlines of the connections of one event loop, checked by one repeating
/// sweep instead of one scheduled task per connection: NIO's scheduler keeps its tasks in a
/// heap whose cancellation is a linear search, so a flood of connections each with its own
/// timer (scheduled at accept, cancelled at the handshake) would cost time quadratic in the
/// flood on the very event loops that serve the ordinary clients.
final class HandshakeDeadlines {
    /// How often the sweep runs; a connection is closed at most this long after its deadline,
    /// so deadlines are set this much early.
    static let sweepInterval = TimeAmount.milliseconds(100)

    private struct Pending {
        let deadline: NIODeadline
        let expire: () -> Void
    }

    private let eventLoop: any EventLoop
    private var pending: [ObjectIdentifier: Pending] = [:]
    private var sweep: RepeatedTask?

    private init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// The deadlines of `eventLoop`, made on first use. Call on that event loop.
    static func on(_ eventLoop: any EventLoop) -> HandshakeDeadlines {
        eventLoop.assertInEventLoop()
        let key = ObjectIdentifier(eventLoop)
        if let existing = perEventLoop.withLock({ $0[key] }) { return existing.value }
        let deadlines = HandshakeDeadlines(eventLoop: eventLoop)
        perEventLoop.withLock { $0[key] = NIOLoopBound(deadlines, eventLoop: eventLoop) }
        return deadlines
    }

    private static let perEventLoop = Mutex<[ObjectIdentifier: NIOLoopBound<HandshakeDeadlines>]>([:])

    /// Calls `expire` (on the event loop) once `deadline` has passed, unless `remove` comes first.
    func add(_ owner: AnyObject, deadline: NIODeadline, expire: @escaping () -> Void) {
        pending[ObjectIdentifier(owner)] = Pending(deadline: deadline, expire: expire)
        if sweep == nil {
            let bound = NIOLoopBound(self, eventLoop: eventLoop)
            sweep = eventLoop.scheduleRepeatedTask(initialDelay: Self.sweepInterval, delay: Self.sweepInterval) { _ in
                bound.value.expireDue()
            }
        }
    }

    /// Forgets `owner`'s deadline.
    func remove(_ owner: AnyObject) {
        pending[ObjectIdentifier(owner)] = nil
    }

    private func expireDue() {
        let now = NIODeadline.now()
        let due = pending.filter { $0.value.deadline <= now }
        for (key, entry) in due {
            pending[key] = nil
            entry.expire()
        }
        if pending.isEmpty {
            sweep?.cancel()
            sweep = nil
        }
    }
}
