import KMSBuildInfo
import Logging

extension ServerConfiguration {
    /// The one line `kmsd` logs when it starts: version, paths, listeners, store, node, and
    /// when the server certificate in force expires. Never a secret (the PostgreSQL URL is
    /// logged without its password, which comes from a file).
    func startupMetadata(serverCertificateExpiry: String) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "version": "\(BuildInfo.description)",
            "listen": "\(listen.host):\(listen.port)",
            "data_dir": "\(dataDirectory)",
            "audit_dir": "\(auditLogOptions.directory)",
            "node_id": "\(cluster.nodeID)",
            "server_certificate_not_after": "\(serverCertificateExpiry)",
            "tls_min_version": "\(tls.minimumVersion.rawValue)",
        ]
        switch storage {
        case .sqlite: metadata["store"] = "sqlite \(databasePath)"
        case .postgres(let postgres): metadata["store"] = "postgresql \(postgres.host):\(postgres.port)/\(postgres.database)"
        }
        if let socket = tls.workloadAPISocket { metadata["spiffe_workload_api"] = "\(socket)" }
        if let address = operations.metricsListen { metadata["metrics_listen"] = "\(address.host):\(address.port)" }
        if let address = operations.healthListen { metadata["health_listen"] = "\(address.host):\(address.port)" }
        return metadata
    }
}
