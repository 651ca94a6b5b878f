import Foundation

/// A complete set of dev TLS credentials in one directory, for `kmsd dev` and for tests:
///
/// | file | content |
/// | --- | --- |
/// | `ca.pem`, `ca-key.pem` | the dev CA (trust root for the server and for clients) |
/// | `server.pem`, `server-key.pem` | a server certificate for `localhost`, `127.0.0.1` and `::1` |
/// | `admin.pem`, `admin-key.pem` | a client certificate with SPIFFE ID `spiffe://swift-kms.dev/admin` and `CN=kms-admin` |
///
/// Private keys are PKCS#8 PEM files with mode 0600, certificates have mode 0644, and a
/// directory created here gets mode 0700. Printing the value shows the directory only.
public struct DevCredentialFiles: Sendable {
    /// The hostnames the dev server certificate is issued for.
    public static let serverHostnames = ["localhost"]
    /// The IP addresses the dev server certificate is issued for.
    public static let serverIPAddresses = ["127.0.0.1", "::1"]
    /// The SPIFFE ID of the dev admin client.
    public static let adminSPIFFEID = "spiffe://swift-kms.dev/admin"
    /// The common name of the dev admin client.
    public static let adminCommonName = "kms-admin"

    /// The directory that holds the files.
    public let directory: URL
    /// The dev CA.
    public let authority: DevCertificateAuthority
    /// The server certificate and key.
    public let server: IssuedCredential
    /// The admin client certificate and key.
    public let admin: IssuedCredential

    /// `ca.pem`: the CA certificate.
    public var caCertificateFile: URL { directory.appendingPathComponent("ca.pem") }
    /// `ca-key.pem`: the CA private key.
    public var caKeyFile: URL { directory.appendingPathComponent("ca-key.pem") }
    /// `server.pem`: the server certificate.
    public var serverCertificateFile: URL { directory.appendingPathComponent("server.pem") }
    /// `server-key.pem`: the server private key.
    public var serverKeyFile: URL { directory.appendingPathComponent("server-key.pem") }
    /// `admin.pem`: the admin client certificate.
    public var adminCertificateFile: URL { directory.appendingPathComponent("admin.pem") }
    /// `admin-key.pem`: the admin client private key.
    public var adminKeyFile: URL { directory.appendingPathComponent("admin-key.pem") }

    /// Loads the credentials in `directory`, creating what is missing.
    ///
    /// - The CA is reloaded when both `ca.pem` and `ca-key.pem` exist, and created (with the
    ///   directory) when neither does.
    /// - The server and the admin pairs are kept when both of their files exist, belong
    ///   together, were issued by the CA and are still valid at `now`; otherwise they are
    ///   issued anew and written over the old files. So a new CA also means new leaves.
    ///
    /// - Parameters:
    ///   - directory: where the files are.
    ///   - now: the time to check leaf expiry against and to start new validities from.
    /// - Throws: `DevPKIError` when only one of the two CA files exists, the saved CA has
    ///   expired, a file exists but does not parse, a key does not belong to its certificate, or a file cannot be
    ///   read or written. The message names the file.
    public static func loadOrCreate(in directory: URL, now: Date = Date()) throws(DevPKIError) -> DevCredentialFiles {
        try SecureFile.createDirectory(directory)
        let authority = try loadOrCreateAuthority(in: directory, now: now)
        let server = try loadOrIssue(
            certificate: directory.appendingPathComponent("server.pem"),
            key: directory.appendingPathComponent("server-key.pem"),
            authority: authority,
            now: now
        ) { () throws(DevPKIError) in
            try authority.issueServer(
                hostnames: serverHostnames,
                ipAddresses: serverIPAddresses,
                validity: .days(365, from: now)
            )
        }
        let admin = try loadOrIssue(
            certificate: directory.appendingPathComponent("admin.pem"),
            key: directory.appendingPathComponent("admin-key.pem"),
            authority: authority,
            now: now
        ) { () throws(DevPKIError) in
            try authority.issueClient(ClientCertificateRequest(
                commonName: adminCommonName,
                spiffeIDs: [adminSPIFFEID],
                notValidBefore: now.addingTimeInterval(-3600),
                notValidAfter: now.addingTimeInterval(365 * 86_400)
            ))
        }
        return DevCredentialFiles(directory: directory, authority: authority, server: server, admin: admin)
    }

    private static func loadOrCreateAuthority(in directory: URL, now: Date) throws(DevPKIError) -> DevCertificateAuthority {
        let certificateFile = directory.appendingPathComponent("ca.pem")
        let keyFile = directory.appendingPathComponent("ca-key.pem")
        switch (try SecureFile.readIfPresent(certificateFile), try SecureFile.readIfPresent(keyFile)) {
        case (let certificatePEM?, let keyPEM?):
            let authority = try prefixingErrors("\(certificateFile.path) and \(keyFile.path)") { () throws(DevPKIError) in
                try DevCertificateAuthority(certificatePEM: certificatePEM, privateKeyPEM: keyPEM)
            }
            guard now < authority.certificate.notValidAfter else {
                throw DevPKIError("the dev CA in \(certificateFile.path) expired at \(authority.certificate.notValidAfter); remove \(directory.path) to start over")
            }
            return authority
        case (nil, nil):
            let authority = try DevCertificateAuthority(validity: .days(3650, from: now))
            try SecureFile.save(authority.privateKeyPEM, to: keyFile, mode: 0o600)
            try SecureFile.save(authority.certificatePEM, to: certificateFile, mode: 0o644)
            return authority
        case (nil, _?):
            throw DevPKIError("\(keyFile.path) exists but \(certificateFile.path) does not; remove \(directory.path) to start over")
        case (_?, nil):
            throw DevPKIError("\(certificateFile.path) exists but \(keyFile.path) does not; remove \(directory.path) to start over")
        }
    }

    private static func loadOrIssue(
        certificate certificateFile: URL,
        key keyFile: URL,
        authority: DevCertificateAuthority,
        now: Date,
        issue: () throws(DevPKIError) -> IssuedCredential
    ) throws(DevPKIError) -> IssuedCredential {
        if let certificatePEM = try SecureFile.readIfPresent(certificateFile),
            let keyPEM = try SecureFile.readIfPresent(keyFile)
        {
            let existing = try prefixingErrors("\(certificateFile.path) and \(keyFile.path)") { () throws(DevPKIError) in
                try IssuedCredential(certificatePEM: certificatePEM, privateKeyPEM: keyPEM)
            }
            let certificate = existing.certificate
            if authority.issued(certificate), certificate.notValidBefore <= now, now < certificate.notValidAfter {
                return existing
            }
        }
        let credential = try issue()
        try SecureFile.save(credential.privateKeyPEM, to: keyFile, mode: 0o600)
        try SecureFile.save(credential.certificatePEM, to: certificateFile, mode: 0o644)
        return credential
    }

    /// Runs `body`, putting `files` in front of the message of any error it throws.
    private static func prefixingErrors<T>(
        _ files: String,
        _ body: () throws(DevPKIError) -> T
    ) throws(DevPKIError) -> T {
        do {
            return try body()
        } catch {
            throw DevPKIError("\(files): \(error.message)")
        }
    }
}

extension DevCredentialFiles: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "DevCredentialFiles(\(directory.path))" }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["directory": directory], displayStyle: .struct)
    }
}
