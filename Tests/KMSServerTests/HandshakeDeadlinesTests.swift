@testable import KMSServer
import NIOCore
import NIOEmbedded
import Testing

/// The handshake deadlines of a flood of connections expire a few at a time, with the event
/// loop free in between, and every one of them expires.
@Suite struct HandshakeDeadlinesTests {
    /// Stands for a connection handler.
    final class Owner {}

    @Test func dueConnectionsAreClosedAFewPerPassUntilNoneIsLeft() {
        let loop = EmbeddedEventLoop()
        let deadlines = HandshakeDeadlines.on(loop)
        let owners = (0..<20).map { _ in Owner() }
        var expired = 0
        for owner in owners {
            deadlines.add(owner, deadline: .now() - .seconds(1)) { expired += 1 }
        }
        let notDue = Owner()
        deadlines.add(notDue, deadline: .now() + .hours(1)) { Issue.record("a deadline an hour away expired") }

        loop.advanceTime(by: HandshakeDeadlines.sweepInterval)
        #expect(expired == HandshakeDeadlines.expiriesPerPass)
        loop.advanceTime(by: HandshakeDeadlines.passInterval)
        #expect(expired == 2 * HandshakeDeadlines.expiriesPerPass)
        loop.advanceTime(by: HandshakeDeadlines.passInterval)
        #expect(expired == owners.count)
        loop.advanceTime(by: HandshakeDeadlines.sweepInterval * 3)
        #expect(expired == owners.count)
        deadlines.remove(notDue)
    }

    @Test func aRemovedDeadlineNeverExpires() {
        let loop = EmbeddedEventLoop()
        let deadlines = HandshakeDeadlines.on(loop)
        let owner = Owner()
        deadlines.add(owner, deadline: .now() + .milliseconds(10)) { Issue.record("a removed deadline expired") }
        deadlines.remove(owner)
        loop.advanceTime(by: HandshakeDeadlines.sweepInterval * 2)
    }
}
