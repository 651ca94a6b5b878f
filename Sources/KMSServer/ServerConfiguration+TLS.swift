import Foundation
import KMSIdentity
import KMSTLS

extension ServerConfiguration {
    /// The TLS listener's certificates, what client certificates must chain to, revocation,
    /// and protocol settings (`tls:` in the configuration file).
    public struct TLSSettings: Sendable {
        /// The lowest TLS version the listener accepts.
        public enum MinimumVersion: String, Sendable, CaseIterable {
            /// TLS 1.2 (ECDHE key exchange and AEAD suites only) and TLS 1.3.
            case tls12 = "1.2"
            /// TLS 1.3 only.
            case tls13 = "1.3"
        }

        /// The allowed values of `reloadIntervalSeconds`.
        public static let reloadIntervalRange = 1...3600

        /// The server's certificate chain (PEM), leaf first; `nil` with the Workload API.
        public var certificate: String?
        /// The server's private key (PEM); `nil` with the Workload API.
        public var privateKey: String?
        /// The CA bundle (PEM) that client certificates without a SPIFFE ID must chain to.
        public var clientCA: String?
        /// Trust domain → the bundle file (PEM) its SPIFFE IDs must chain to.
        public var spiffeTrustBundles: [String: String]
        /// Certificate revocation lists (PEM or DER).
        public var crlFiles: [String]
        /// What a revocation list past its `nextUpdate` means.
        public var staleCRL: ClientTrust.StaleRevocationListHandling
        /// Seconds between two checks of the files for changes.
        public var reloadIntervalSeconds: Int
        /// The lowest TLS version accepted.
        public var minimumVersion: MinimumVersion
        /// The SPIFFE Workload API socket that supplies the server's X.509-SVID and the trust
        /// bundles instead of `certificate`, `private_key` and `spiffe_trust_bundles`.
        public var workloadAPISocket: String?

        /// Settings with the given files and the defaults for everything else.
        public init(
            certificate: String? = nil,
            privateKey: String? = nil,
            clientCA: String? = nil,
            spiffeTrustBundles: [String: String] = [:],
            crlFiles: [String] = [],
            staleCRL: ClientTrust.StaleRevocationListHandling = .refuse,
            reloadIntervalSeconds: Int = 5,
            minimumVersion: MinimumVersion = .tls12,
            workloadAPISocket: String? = nil
        ) {
            self.certificate = certificate
            self.privateKey = privateKey
            self.clientCA = clientCA
            self.spiffeTrustBundles = spiffeTrustBundles
            self.crlFiles = crlFiles
            self.staleCRL = staleCRL
            self.reloadIntervalSeconds = reloadIntervalSeconds
            self.minimumVersion = minimumVersion
            self.workloadAPISocket = workloadAPISocket
        }

        /// Checks that the server has a credential source and clients have something to chain to.
        ///
        /// - Throws: `ConfigurationError` naming the keys that are missing or conflict.
        public func validate() throws(ConfigurationError) {
            if workloadAPISocket == nil {
                guard certificate != nil, privateKey != nil else {
                    throw ConfigurationError("tls: give certificate and private_key, or spiffe_workload_api.socket")
                }
                guard clientCA != nil || !spiffeTrustBundles.isEmpty else {
                    throw ConfigurationError("tls: give client_ca, spiffe_trust_bundles or spiffe_workload_api.socket")
                }
            } else if certificate != nil || privateKey != nil {
                throw ConfigurationError("tls: certificate and private_key come from the Workload API when spiffe_workload_api is set; remove them")
            }
            guard Self.reloadIntervalRange.contains(reloadIntervalSeconds) else {
                throw ConfigurationError("tls.reload_interval_seconds: \(reloadIntervalSeconds) is outside 1–3600")
            }
            for trustDomain in spiffeTrustBundles.keys {
                do {
                    let id = try SPIFFEID(parsing: "spiffe://\(trustDomain)")
                    guard id.path.isEmpty else { throw InvalidIdentity(reason: "it has a path") }
                } catch {
                    throw ConfigurationError("tls.spiffe_trust_bundles: '\(trustDomain)' is not a SPIFFE trust domain")
                }
            }
        }
    }

    /// Limits that protect the listener from slow, idle and greedy clients (`limits:`).
    public struct ConnectionLimits: Sendable, Equatable {
        /// Seconds a new connection has to complete its TLS handshake.
        public var handshakeTimeoutSeconds: Int = 10
        /// Seconds a connection may stay without calls before it is closed.
        public var idleTimeoutSeconds: Int = 300
        /// Open connections at most; more are closed at once.
        public var maxConnections: Int = 4096
        /// Concurrent calls (HTTP/2 streams) per connection at most.
        public var maxConcurrentStreams: Int = 128
        /// Seconds without reads after which the server pings the client.
        public var keepaliveIntervalSeconds: Int = 60
        /// Seconds the client has to answer the ping before the connection is closed.
        public var keepaliveTimeoutSeconds: Int = 20

        /// The defaults.
        public init() {}
    }

    /// Proxies (mesh sidecars, nginx) trusted to name the real caller in the
    /// `x-forwarded-client-cert` header (`identity.trusted_proxies`).
    public struct TrustedProxies: Sendable {
        /// Principal patterns (`*`, `?`) of the proxies.
        public var principals: [String]
        /// Whether a forwarded element without `Cert` may name the caller by its `URI`
        /// (SPIFFE ID), `Subject` or `DNS` (`identity.forwarded_names_without_certificate`).
        public var acceptNamesWithoutCertificate: Bool

        /// No trusted proxies by default: the header is ignored.
        public init(principals: [String] = [], acceptNamesWithoutCertificate: Bool = false) {
            self.principals = principals
            self.acceptNamesWithoutCertificate = acceptNamesWithoutCertificate
        }
    }

    /// Reads the `tls:` mapping; relative paths go through `path`. `workloadAPIEndpoint`
    /// (`SPIFFE_ENDPOINT_SOCKET`) is the Workload API socket when `spiffe_workload_api` names
    /// none, and when the mapping names no certificate at all.
    static func tlsSettings(_ value: ConfigValue, path: (String) -> String, workloadAPIEndpoint: String?) throws -> TLSSettings {
        let fields = try value.mapping(at: "tls", allowed: [
            "certificate", "private_key", "client_ca", "spiffe_trust_bundles", "crl_files", "stale_crl",
            "reload_interval_seconds", "min_version", "spiffe_workload_api",
        ])
        var tls = TLSSettings()
        tls.certificate = try fields["certificate"].map { path(try $0.string(at: "tls.certificate")) }
        tls.privateKey = try fields["private_key"].map { path(try $0.string(at: "tls.private_key")) }
        tls.clientCA = try fields["client_ca"].map { path(try $0.string(at: "tls.client_ca")) }
        if let bundles = fields["spiffe_trust_bundles"] {
            guard case .mapping(let pairs) = bundles else { throw ConfigurationError("tls.spiffe_trust_bundles must be a mapping of trust domain to file") }
            for (trustDomain, file) in pairs {
                tls.spiffeTrustBundles[trustDomain] = path(try file.string(at: "tls.spiffe_trust_bundles.\(trustDomain)"))
            }
        }
        if let files = fields["crl_files"] {
            tls.crlFiles = try files.list(at: "tls.crl_files").enumerated().map { index, file in
                path(try file.string(at: "tls.crl_files[\(index)]"))
            }
        }
        if let stale = fields["stale_crl"] {
            let text = try stale.string(at: "tls.stale_crl")
            guard let handling = ClientTrust.StaleRevocationListHandling(rawValue: text) else {
                throw ConfigurationError("tls.stale_crl: '\(text)' is neither refuse nor accept")
            }
            tls.staleCRL = handling
        }
        if let interval = fields["reload_interval_seconds"] {
            tls.reloadIntervalSeconds = try interval.wholeNumber(at: "tls.reload_interval_seconds", in: TLSSettings.reloadIntervalRange)
        }
        if let version = fields["min_version"] {
            let text = try version.string(at: "tls.min_version")
            guard let minimum = TLSSettings.MinimumVersion(rawValue: text) else {
                throw ConfigurationError("tls.min_version: '\(text)' is neither \"1.2\" nor \"1.3\"")
            }
            tls.minimumVersion = minimum
        }
        if let workload = fields["spiffe_workload_api"] {
            let api = try workload.mapping(at: "tls.spiffe_workload_api", allowed: ["socket"])
            tls.workloadAPISocket = try api["socket"].map { try $0.string(at: "tls.spiffe_workload_api.socket") } ?? workloadAPIEndpoint
            guard tls.workloadAPISocket != nil else {
                throw ConfigurationError("tls.spiffe_workload_api: give socket, or set SPIFFE_ENDPOINT_SOCKET")
            }
        } else if tls.certificate == nil, tls.privateKey == nil {
            tls.workloadAPISocket = workloadAPIEndpoint
        }
        try tls.validate()
        return tls
    }

    /// Reads the `limits:` mapping.
    static func connectionLimits(_ value: ConfigValue) throws -> ConnectionLimits {
        let fields = try value.mapping(at: "limits", allowed: [
            "handshake_timeout_seconds", "idle_timeout_seconds", "max_connections", "max_concurrent_streams",
            "keepalive_interval_seconds", "keepalive_timeout_seconds",
        ])
        var limits = ConnectionLimits()
        let settings: [(String, WritableKeyPath<ConnectionLimits, Int>, ClosedRange<Int>)] = [
            ("handshake_timeout_seconds", \.handshakeTimeoutSeconds, 1...300),
            ("idle_timeout_seconds", \.idleTimeoutSeconds, 1...86_400),
            ("max_connections", \.maxConnections, 1...1_000_000),
            ("max_concurrent_streams", \.maxConcurrentStreams, 1...65_535),
            ("keepalive_interval_seconds", \.keepaliveIntervalSeconds, 1...86_400),
            ("keepalive_timeout_seconds", \.keepaliveTimeoutSeconds, 1...3600),
        ]
        for (key, keyPath, range) in settings {
            if let value = fields[key] {
                limits[keyPath: keyPath] = try value.wholeNumber(at: "limits.\(key)", in: range)
            }
        }
        return limits
    }
}
