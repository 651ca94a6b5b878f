import NIOCore
import NIOPosix
import Synchronization

/// The handshake deadlines of the connections of one event loop, checked by one repeating
/// sweep instead of one scheduled task per connection: NIO's scheduler keeps its tasks in a
/// heap whose cancellation is a linear search, so a flood of connections each with its own
/// timer (scheduled at accept, cancelled at the handshake) would cost time quadratic in the
/// flood on the very event loops that serve the ordinary clients. A sweep closes at most
/// `expiriesPerPass` connections and leaves the rest to a pass a millisecond later, so that
/// the loop reads and writes for its other connections in between instead of closing a
/// whole flood at once.
final class HandshakeDeadlines {
    /// How often the sweep runs; a connection is closed at most this long after its deadline,
    /// so deadlines are set this much early.
    static let sweepInterval = TimeAmount.milliseconds(100)
    /// The most connections one pass closes.
    static let expiriesPerPass = 8
    /// How long after a pass that left due connections the next pass runs.
    static let passInterval = TimeAmount.milliseconds(1)

    private struct Pending {
        let deadline: NIODeadline
        let expire: () -> Void
    }

    private let eventLoop: any EventLoop
    private var pending: [ObjectIdentifier: Pending] = [:]
    private var sweep: RepeatedTask?
    /// A pass scheduled for the connections the last pass left.
    private var nextPass: Scheduled<Void>?

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
        let due = pending.lazy.filter { $0.value.deadline <= now }.prefix(Self.expiriesPerPass + 1).map { $0 }
        for (key, entry) in due.prefix(Self.expiriesPerPass) {
            pending[key] = nil
            entry.expire()
        }
        if due.count > Self.expiriesPerPass, nextPass == nil {
            let bound = NIOLoopBound(self, eventLoop: eventLoop)
            nextPass = eventLoop.scheduleTask(in: Self.passInterval) {
                bound.value.nextPass = nil
                bound.value.expireDue()
            }
        }
        if pending.isEmpty {
            sweep?.cancel()
            sweep = nil
        }
    }
}
