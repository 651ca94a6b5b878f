import Foundation
import KMSDevPKI

/// What `kmsd dev` sets up: throwaway certificates, a configuration that makes the dev
/// admin all-powerful, and a data directory, all under one git-ignored directory.
/// Running it again reuses everything, so keys survive restarts until the directory is removed.
public struct DevEnvironment: Sendable {
    /// Where `kmsd dev` keeps everything unless told otherwise; `kmsctl` looks there too.
    public static let defaultDirectory = ".kms-dev"
    /// Where `kmsd dev` listens unless told otherwise; `kmsctl`'s default target.
    public static let defaultListen = "127.0.0.1:8443"

    /// The configuration to serve with.
    public let configuration: ServerConfiguration
    /// What to print for the developer.
    public let banner: String

    /// Creates (or reuses) the dev certificates, configuration and data directory.
    ///
    /// - Parameters:
    ///   - directory: Where everything lives, `.kms-dev` by default.
    ///   - listen: The address to listen on, written into a new configuration.
    ///   - awsListen: Where the AWS-compatible endpoint listens; `nil`: it does not.
    public static func prepare(directory: String, listen: String, awsListen: String? = nil) throws -> DevEnvironment {
        let root = URL(fileURLWithPath: directory, isDirectory: true).standardizedFileURL
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let credentials = try DevCredentialFiles.loadOrCreate(in: root.appendingPathComponent("certs"))
        let configFile = root.appendingPathComponent("kmsd.yaml")
        try configurationText(listen: listen, awsListen: awsListen).write(to: configFile, atomically: true, encoding: .utf8)
        let configuration = try ServerConfiguration.load(path: configFile.path)
        var flags = ""
        if directory != defaultDirectory { flags += " --dev-dir \(root.path)" }
        if listen != defaultListen { flags += " --target \(listen)" }
        return DevEnvironment(
            configuration: configuration,
            banner: banner(root: root, credentials: credentials, listen: listen, kmsctlFlags: flags) + (awsListen.map { awsBanner($0, credentials) } ?? "")
        )
    }

    private static func configurationText(listen: String, awsListen: String?) -> String {
        """
        # Written by `kmsd dev`; rewritten on every start. Not for production.
        listen: "\(listen)"\(awsListen.map { "\naws_compat:\n  listen: \"\($0)\"" } ?? "")
        data_dir: data
        tls:
          certificate: certs/server.pem
          private_key: certs/server-key.pem
          client_ca: certs/ca.pem
        server_policy:
          Version: "2012-10-17"
          Statement:
            - Sid: DevAdminIsAllPowerful
              Effect: Allow
              Principal: "\(DevCredentialFiles.adminSPIFFEID)"
              Action: "kms:*"
              Resource: "*"

        """
    }

    private static func banner(root: URL, credentials: DevCredentialFiles, listen: String, kmsctlFlags flags: String) -> String {
        """
        swift-kms dev server — NOT FOR PRODUCTION
          directory:  \(root.path) (certificates, configuration, SQLite data, root key)
          listening:  \(listen) (mutual TLS)
          admin:      \(DevCredentialFiles.adminSPIFFEID), allowed kms:* by the server policy
          client credentials: \(credentials.caCertificateFile.path)
                              \(credentials.adminCertificateFile.path)
                              \(credentials.adminKeyFile.path)

        Next, in another terminal:
          swift run kmsctl get-caller-identity\(flags)
          swift run kmsctl create-key --description demo\(flags)
          swift run kmsctl encrypt --key-id <key id> --plaintext hello\(flags)
        Remove \(root.path) to start over.
        """
    }

    private static func awsBanner(_ address: String, _ credentials: DevCredentialFiles) -> String {
        """

        AWS KMS-compatible endpoint: https://\(address) (mutual TLS; docs/AWS_COMPAT.md)
          import boto3, botocore.config
          kms = boto3.client("kms", region_name="local", endpoint_url="https://\(address)", verify="\(credentials.caCertificateFile.path)",
              aws_access_key_id="unused", aws_secret_access_key="unused",
              config=botocore.config.Config(client_cert=("\(credentials.adminCertificateFile.path)", "\(credentials.adminKeyFile.path)")))
        """
    }
}
