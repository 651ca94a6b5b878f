import ArgumentParser
import Foundation
import KMSAudit
import KMSProto
import SwiftProtobuf

/// `kmsctl audit`: check audit files offline (`verify`), query the server's trail (`query`).
struct AuditGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify audit log files offline; query the audit trail of a server.",
        subcommands: [VerifyAudit.self, QueryAudit.self]
    )
}

/// `kmsctl audit query`: ListAuditEvents, one page or all of them.
struct QueryAudit: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "List the audit records of the server, oldest first (ListAuditEvents).",
        discussion: """
            Needs kms:ListAuditEvents in the server policy. Prints one line per record: time, \
            principal, action, key id:version, outcome, reason, request id ('-' when empty). \
            Pages are printed as they arrive; with --all and --json, one response object per \
            page, one per line. Without --all, the token of the next page, if any, is printed \
            on stderr.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("key-id"), help: "Only records about this key (a key id, not an alias).")
    var keyID: String?

    @Option(name: .customLong("principal"), help: "Only records of calls by this principal.")
    var principal: String?

    @Option(name: .customLong("action"), help: ArgumentHelp("Only records of this action.", valueName: "kms:Action"))
    var action: String?

    @Option(
        name: .customLong("outcome"),
        help: ArgumentHelp("Only records with this outcome: allowed, denied, failed or intent.", valueName: "outcome"),
        transform: { text in
            guard let outcome = AuditRecord.Outcome(rawValue: text) else { throw ValidationError("must be allowed, denied, failed or intent") }
            return outcome
        }
    )
    var outcome: AuditRecord.Outcome?

    @Option(name: .customLong("since"), help: ArgumentHelp("Only records at or after this RFC 3339 time.", valueName: "time"), transform: parseRFC3339)
    var since: Date?

    @Option(name: .customLong("until"), help: ArgumentHelp("Only records before this RFC 3339 time.", valueName: "time"), transform: parseRFC3339)
    var until: Date?

    @OptionGroup var paging: PageOptions

    func execute() async throws {
        var first = Kms_V1_ListAuditEventsRequest()
        first.keyID = keyID ?? ""
        first.principal = principal ?? ""
        first.action = action ?? ""
        first.outcome = outcome?.rawValue ?? ""
        if let since { first.startTime = Google_Protobuf_Timestamp(date: since) }
        if let until { first.endTime = Google_Protobuf_Timestamp(date: until) }
        // Each page is printed as it arrives and its events dropped, so --all over a long
        // trail holds one page in memory; what `collect` returns keeps the next page token.
        let last = try await global.withClient { [first, global, paging] client in
            try await paging.collect(first) { request in
                var page = try await client.listAuditEvents(request, options: global.callOptions)
                try global.emit(page) { page.events.forEach(printAuditEvent) }
                page.events = []
                return page
            }
        }
        if !global.json { reportNextPage(last.nextPageToken, items: "events") }
    }
}

extension Kms_V1_ListAuditEventsRequest: PagedRequest {}

extension Kms_V1_ListAuditEventsResponse: PagedResponse {
    mutating func append(itemsOf page: Self) { events += page.events }
}

/// Prints one record as one line: time, principal, action, key id:version, outcome, reason,
/// request id, separated by two spaces, `-` for what is empty.
private func printAuditEvent(_ event: Kms_V1_AuditEvent) {
    let key = event.keyID.isEmpty ? "" : event.keyVersion == 0 ? event.keyID : "\(event.keyID):\(event.keyVersion)"
    let fields = [auditTime(event.time), event.principal, event.action, key, event.outcome, event.reason, event.requestID]
    print(fields.map { $0.isEmpty ? "-" : $0 }.joined(separator: "  "))
}

/// A record's time as the audit files write it: RFC 3339 UTC with microseconds.
private func auditTime(_ time: Google_Protobuf_Timestamp) -> String {
    // Rounded: the server's Date → Timestamp conversion may land a hair below the microsecond.
    let micros = time.seconds * 1_000_000 + (Int64(time.nanos) + 500) / 1000
    let seconds = Date(timeIntervalSince1970: TimeInterval(micros / 1_000_000)).formatted(.iso8601)
    return String(seconds.dropLast()) + String(format: ".%06lldZ", micros % 1_000_000)
}

/// Reads an RFC 3339 time (`2025-01-31T10:15:42Z`, `2025-01-31T12:15:42.123456+02:00`).
///
/// The fraction is read to the nanosecond, not only to the millisecond as
/// `ISO8601DateFormatter` would, so a record's own time selects that record.
///
/// - Throws: `ValidationError` when `text` is not such a time.
private func parseRFC3339(_ text: String) throws -> Date {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = .withInternetDateTime
    var whole = text
    var fraction = 0.0
    if let match = text.firstMatch(of: /^(.+T\d\d:\d\d:\d\d)\.(\d{1,9})(.*)$/) {
        whole = String(match.1 + match.3)
        fraction = Double("0." + match.2) ?? 0
    }
    guard let date = formatter.date(from: whole) else {
        throw ValidationError("not an RFC 3339 time such as 2025-01-31T10:15:42Z or 2025-01-31T10:15:42.123456Z")
    }
    return date.addingTimeInterval(fraction)
}
