/// The files a client needs for mutual TLS: the CA that signed the server's
/// certificate, and the client's own certificate and private key (all PEM).
public struct ClientCredentials: Sendable, Equatable {
    public var caCertificatePath: String
    public var certificatePath: String
    public var privateKeyPath: String

    public init(caCertificatePath: String, certificatePath: String, privateKeyPath: String) {
        self.caCertificatePath = caCertificatePath
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
    }

    /// The admin credentials that `kmsd dev` writes into `<directory>/certs`.
    public static func dev(directory: String = ConnectionOptions.defaultDevDirectory) -> ClientCredentials {
        ClientCredentials(
            caCertificatePath: "\(directory)/certs/ca.pem",
            certificatePath: "\(directory)/certs/admin.pem",
            privateKeyPath: "\(directory)/certs/admin-key.pem"
        )
    }
}
