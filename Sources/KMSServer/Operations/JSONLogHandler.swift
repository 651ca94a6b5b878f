import Foundation
import KMSAudit
import Logging
import Synchronization

/// A swift-log handler that writes one JSON object per line to standard error (`log.format:
/// json`): `time` (RFC 3339, UTC, microseconds), `level`, `label`, `message`, `source`, and
/// every metadata field (values as strings; `request_id` among them where a call has one).
/// It writes what it is given: the code never puts a secret into a log message or metadata.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String

    /// A handler for loggers labelled `label` that logs at `level` and above.
    public init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata { fields[key] = "\(value)" }
        for (key, value) in event.metadata ?? [:] { fields[key] = "\(value)" }
        fields["time"] = RFC3339.format(Date())
        fields["level"] = event.level.rawValue
        fields["label"] = label
        fields["message"] = "\(event.message)"
        fields["source"] = event.source
        guard var line = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return
        }
        line.append(UInt8(ascii: "\n"))
        Self.output.withLock { _ in FileHandle.standardError.write(line) }
    }

    /// One line at a time, whole.
    private static let output = Mutex(())
}
