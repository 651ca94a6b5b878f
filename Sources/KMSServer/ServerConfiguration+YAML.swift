import Foundation
import KMSCore
import KMSIdentity
import Yams

extension ServerConfiguration {
    /// Reads a YAML configuration file.
    ///
    /// - Throws: `ConfigurationError` naming the key that is missing, unknown or invalid.
    public static func load(path: String) throws -> ServerConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError("cannot read configuration file \(path): \(error.localizedDescription)")
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(yaml: text, relativeTo: base)
    }

    /// Parses YAML configuration text; relative paths are resolved against `base`, and
    /// `SPIFFE_ENDPOINT_SOCKET` is read from `environment`.
    public static func parse(
        yaml text: String,
        relativeTo base: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ServerConfiguration {
        let root: ConfigValue
        do {
            guard let node = try Yams.compose(yaml: text) else { throw ConfigurationError("the configuration file is empty") }
            root = try ConfigValue(node)
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError("the configuration is not valid YAML: \(error)")
        }
        let top = try root.mapping(at: "configuration", allowed: ["listen", "data_dir", "root_key_file", "tls", "identity", "server_policy", "jobs", "audit", "storage", "cluster", "limits", "shutdown", "metrics", "health", "log", "quotas", "debug", "aws_compat"])
        func path(_ value: String) -> String {
            value.hasPrefix("/") ? value : (base as NSString).appendingPathComponent(value)
        }
        let tls = try tlsSettings(
            top.required("tls", in: "configuration"), path: path,
            workloadAPIEndpoint: environment["SPIFFE_ENDPOINT_SOCKET"]
        )
        let identity = try top["identity"].map(identitySettings) ?? (rules: [], proxies: TrustedProxies())
        let storage = try top["storage"].map { try storageSettings($0, path: path) } ?? .sqlite
        return ServerConfiguration(
            listen: try listenAddress(top.required("listen", in: "configuration").string(at: "listen")),
            dataDirectory: path(try top.required("data_dir", in: "configuration").string(at: "data_dir")),
            rootKeyFile: try top["root_key_file"].map { path(try $0.string(at: "root_key_file")) },
            tls: tls,
            limits: try top["limits"].map(connectionLimits) ?? ConnectionLimits(),
            identityRules: identity.rules,
            trustedProxies: identity.proxies,
            serverPolicy: try top["server_policy"].map(serverPolicy),
            jobs: try top["jobs"].map(jobs) ?? Jobs(),
            audit: try top["audit"].map { try audit($0, path: path) } ?? Audit(),
            shutdown: try top["shutdown"].map(shutdown) ?? Shutdown(),
            operations: try operations(metrics: top["metrics"], health: top["health"], log: top["log"]),
            storage: storage,
            cluster: try clusterSettings(top["cluster"], storage: storage),
            quotas: try top["quotas"].map(quotas) ?? [],
            debug: try top["debug"].map(debugSettings) ?? Debug(),
            awsCompat: try top["aws_compat"].map(awsCompat)
        )
    }

    static func listenAddress(_ text: String, key: String = "listen") throws -> HostPort {
        guard let address = HostPort(parsing: text) else {
            throw ConfigurationError("\(key): '\(text)' is not an IP address and port (host:port or [ipv6]:port)")
        }
        return address
    }

    private static func identitySettings(_ value: ConfigValue) throws -> (rules: [IdentityRule], proxies: TrustedProxies) {
        let identity = try value.mapping(at: "identity", allowed: ["rules", "trusted_proxies", "forwarded_names_without_certificate"])
        var proxies = TrustedProxies()
        if let patterns = identity["trusted_proxies"] {
            proxies.principals = try patterns.list(at: "identity.trusted_proxies").enumerated().map { index, pattern in
                try pattern.string(at: "identity.trusted_proxies[\(index)]")
            }
        }
        if let names = identity["forwarded_names_without_certificate"] {
            proxies.acceptNamesWithoutCertificate = try names.bool(at: "identity.forwarded_names_without_certificate")
        }
        return (try identity["rules"].map(identityRules) ?? [], proxies)
    }

    private static func identityRules(_ rules: ConfigValue) throws -> [IdentityRule] {
        try rules.list(at: "identity.rules").enumerated().map { index, rule in
            let at = "identity.rules[\(index)]"
            let fields = try rule.mapping(at: at, allowed: ["uri_san", "dns_san", "subject", "principal"])
            let principal = try fields.required("principal", in: at).string(at: "\(at).principal")
            let matchers = fields.filter { $0.key != "principal" }
            guard matchers.count == 1, let (kind, pattern) = matchers.first else {
                throw ConfigurationError("\(at): give exactly one of uri_san, dns_san, subject")
            }
            do {
                return try IdentityRule(kind: kind, pattern: pattern.string(at: "\(at).\(kind)"), principal: principal)
            } catch let error as ConfigurationError {
                throw error
            } catch {
                throw ConfigurationError("\(at): \(error)")
            }
        }
    }

    private static func shutdown(_ value: ConfigValue) throws -> Shutdown {
        let fields = try value.mapping(at: "shutdown", allowed: ["grace_seconds"])
        guard let grace = fields["grace_seconds"] else { return Shutdown() }
        return Shutdown(graceSeconds: try grace.wholeNumber(at: "shutdown.grace_seconds", in: Shutdown.graceSecondsRange))
    }

    private static func jobs(_ value: ConfigValue) throws -> Jobs {
        let fields = try value.mapping(at: "jobs", allowed: ["interval_seconds"])
        guard let interval = fields["interval_seconds"] else { return Jobs() }
        guard case .number(let number) = interval, let seconds = Int(exactly: number) else {
            throw ConfigurationError("jobs.interval_seconds must be a whole number of seconds, 1–86400")
        }
        let jobs = Jobs(intervalSeconds: seconds)
        try jobs.validate()
        return jobs
    }

    /// The server policy may be written as YAML (a mapping) or as a JSON string.
    private static func serverPolicy(_ value: ConfigValue) throws -> String {
        if case .string(let json) = value { return json }
        return try value.jsonText(at: "server_policy")
    }
}
