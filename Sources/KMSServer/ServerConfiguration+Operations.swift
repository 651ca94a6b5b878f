import KMSCore
import Logging

extension ServerConfiguration {
    /// The listeners and logs an operator watches (`metrics:`, `health:`, `log:`).
    public struct Operations: Sendable, Equatable {
        /// How log lines are written.
        public enum LogFormat: String, Sendable, CaseIterable {
            /// swift-log's text lines.
            case text
            /// One JSON object per line.
            case json
        }

        /// Where Prometheus scrapes `/metrics` (plain HTTP); `nil`: no metrics endpoint.
        public var metricsListen: HostPort?
        /// Where the plaintext gRPC health service answers probes; `nil`: none.
        public var healthListen: HostPort?
        /// The log line format.
        public var logFormat: LogFormat
        /// The lowest level logged.
        public var logLevel: Logger.Level

        /// No extra listeners, text logs at `info`.
        public init(metricsListen: HostPort? = nil, healthListen: HostPort? = nil, logFormat: LogFormat = .text, logLevel: Logger.Level = .info) {
            self.metricsListen = metricsListen
            self.healthListen = healthListen
            self.logFormat = logFormat
            self.logLevel = logLevel
        }
    }

    /// Reads `metrics:`, `health:` and `log:` into `operations`.
    static func operations(metrics: ConfigValue?, health: ConfigValue?, log: ConfigValue?) throws -> Operations {
        var operations = Operations()
        if let metrics {
            let fields = try metrics.mapping(at: "metrics", allowed: ["listen"])
            operations.metricsListen = try fields["listen"].map { try listenAddress($0.string(at: "metrics.listen"), key: "metrics.listen") }
        }
        if let health {
            let fields = try health.mapping(at: "health", allowed: ["listen"])
            operations.healthListen = try fields["listen"].map { try listenAddress($0.string(at: "health.listen"), key: "health.listen") }
        }
        if let log {
            let fields = try log.mapping(at: "log", allowed: ["format", "level"])
            if let format = fields["format"] {
                let text = try format.string(at: "log.format")
                guard let parsed = Operations.LogFormat(rawValue: text) else {
                    throw ConfigurationError("log.format: '\(text)' is neither text nor json")
                }
                operations.logFormat = parsed
            }
            if let level = fields["level"] {
                let text = try level.string(at: "log.level")
                guard let parsed = Logger.Level(rawValue: text) else {
                    throw ConfigurationError("log.level: '\(text)' is not one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                operations.logLevel = parsed
            }
        }
        return operations
    }
}
