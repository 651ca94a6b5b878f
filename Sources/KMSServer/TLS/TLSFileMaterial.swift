import Crypto
import Foundation
import KMSTLS
import SwiftASN1
import X509

/// The certificate material named by the `tls:` files, read and checked as a whole: a
/// replacement is used only when every file in it is usable.
struct TLSFileMaterial: Sendable {
    /// `nil` when the server's credential comes from the Workload API.
    var credential: ServerCredential?
    var clientCA: [Certificate] = []
    var trustDomainBundles: [String: [Certificate]] = [:]
    var revocationLists: [CertificateRevocationList] = []

    /// Reads every file `settings` names.
    ///
    /// - Throws: `TLSMaterialError` naming the first file that is missing, unparsable or
    ///   empty, or a private key that does not belong to the certificate.
    static func load(_ settings: ServerConfiguration.TLSSettings) throws(TLSMaterialError) -> TLSFileMaterial {
        var material = TLSFileMaterial()
        if let certificate = settings.certificate, let privateKey = settings.privateKey {
            let chain = try certificates(in: certificate)
            let keyText = try text(of: privateKey)
            material.credential = try ServerCredential(chain: chain, privateKey: .pem(keyText), source: "tls.private_key (\(privateKey))")
        }
        if let clientCA = settings.clientCA {
            material.clientCA = try certificates(in: clientCA)
        }
        for (trustDomain, file) in settings.spiffeTrustBundles {
            material.trustDomainBundles[trustDomain] = try certificates(in: file)
        }
        for file in settings.crlFiles {
            let contents = try bytes(of: file)
            do {
                material.revocationLists += try CertificateRevocationList.parseFile(contents)
            } catch {
                throw TLSMaterialError("\(file): \(error)")
            }
        }
        return material
    }

    /// A digest of the contents of every file `settings` names (a missing file counts as
    /// empty), to notice any change without parsing.
    static func fingerprint(_ settings: ServerConfiguration.TLSSettings) -> [UInt8] {
        var hash = SHA256()
        let files = [settings.certificate, settings.privateKey, settings.clientCA].compactMap { $0 }
            + settings.spiffeTrustBundles.keys.sorted().compactMap { settings.spiffeTrustBundles[$0] }
            + settings.crlFiles
        for file in files {
            let contents = FileManager.default.contents(atPath: file) ?? Data()
            hash.update(data: SHA256.hash(data: Data(file.utf8)).withUnsafeBytes { Data($0) })
            hash.update(data: SHA256.hash(data: contents).withUnsafeBytes { Data($0) })
        }
        return Array(hash.finalize())
    }

    private static func bytes(of file: String) throws(TLSMaterialError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw TLSMaterialError("\(file): cannot be read")
        }
        return Array(data)
    }

    private static func text(of file: String) throws(TLSMaterialError) -> String {
        guard let text = String(bytes: try bytes(of: file), encoding: .utf8) else {
            throw TLSMaterialError("\(file): is not PEM text")
        }
        return text
    }

    /// The certificates of a PEM file; at least one.
    private static func certificates(in file: String) throws(TLSMaterialError) -> [Certificate] {
        let pem = try text(of: file)
        let certificates: [Certificate]
        do {
            certificates = try PEMDocument.parseMultiple(pemString: pem)
                .filter { $0.discriminator == "CERTIFICATE" }
                .map { try Certificate(pemDocument: $0) }
        } catch {
            throw TLSMaterialError("\(file): a certificate does not parse: \(error)")
        }
        guard !certificates.isEmpty else { throw TLSMaterialError("\(file): holds no certificate") }
        return certificates
    }
}
