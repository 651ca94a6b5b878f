import Logging
import Synchronization

/// Reloads the `tls:` files when their contents change (checked every
/// `tls.reload_interval_seconds`) and on request (SIGHUP). A replacement that cannot be
/// used is refused with an error log line; the material in force stays in force.
final class TLSFileReloader: Sendable {
    private let settings: ServerConfiguration.TLSSettings
    private let store: TLSMaterialStore
    private let logger: Logger
    /// The files' fingerprint at the last reload attempt, refused or not: a broken file is
    /// reported once, not at every check.
    private let lastFingerprint: Mutex<[UInt8]>

    /// A reloader of `settings`' files into `store`, whose file material was just loaded.
    init(settings: ServerConfiguration.TLSSettings, store: TLSMaterialStore, logger: Logger) {
        self.settings = settings
        self.store = store
        self.logger = logger
        self.lastFingerprint = Mutex(TLSFileMaterial.fingerprint(settings))
    }

    /// Reads the files now and puts them in force when every one is usable.
    ///
    /// - Returns: whether the new material is in force.
    @discardableResult
    func reload(reason: String) -> Bool {
        let fingerprint = TLSFileMaterial.fingerprint(settings)
        lastFingerprint.withLock { $0 = fingerprint }
        do {
            let files = try TLSFileMaterial.load(settings)
            store.install(files: files)
            var metadata: Logger.Metadata = [
                "reason": "\(reason)",
                "client_ca_certificates": "\(files.clientCA.count)",
                "trust_domains": "\(files.trustDomainBundles.keys.sorted())",
                "revocation_lists": "\(files.revocationLists.count)",
            ]
            if let credential = files.credential {
                metadata["server_certificate_serial"] = "\(credential.leaf.serialNumber)"
                metadata["server_certificate_not_after"] = "\(credential.leaf.notValidAfter)"
            }
            logger.info("TLS material reloaded; new handshakes use it", metadata: metadata)
            return true
        } catch {
            logger.error("refused the new TLS material; the material in force stays in force", metadata: [
                "reason": "\(reason)", "error": "\(error)",
            ])
            return false
        }
    }

    /// Checks the files every interval until cancelled and reloads them when they changed.
    func run() async {
        while true {
            do {
                try await Task.sleep(for: .seconds(settings.reloadIntervalSeconds))
            } catch {
                return
            }
            if TLSFileMaterial.fingerprint(settings) != lastFingerprint.withLock({ $0 }) {
                reload(reason: "files changed")
            }
        }
    }
}
