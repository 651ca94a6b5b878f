import SwiftASN1

extension CertificateRevocationList {
    /// The PEM label of a CRL (RFC 7468 §6).
    public static let pemLabel = "X509 CRL"

    /// Every CRL in a file: one or more PEM blocks labelled "X509 CRL", or one DER CRL.
    ///
    /// A file whose first byte starts a DER SEQUENCE (0x30) is read as one DER CRL; any
    /// other file as PEM text, in which text outside the blocks (such as the output of
    /// `openssl crl -text`) is ignored.
    ///
    /// - Throws: `CRLError` when the file is empty or larger than `maximumFileSize`, holds
    ///   no PEM block, holds a block with another label, or any CRL in it does not parse.
    ///   The message names the block (`PEM block 2: …`).
    public static func parseFile(_ bytes: [UInt8]) throws(CRLError) -> [CertificateRevocationList] {
        guard bytes.count <= maximumFileSize else {
            throw CRLError(.fileTooLarge, "the CRL file is \(bytes.count) bytes; at most \(maximumFileSize) are accepted")
        }
        guard bytes.contains(where: { !crlIsWhitespace($0) }) else {
            throw CRLError(.empty, "the CRL file is empty")
        }
        if bytes.first == 0x30 {
            return [try CertificateRevocationList(derEncoded: bytes)]
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CRLError(.malformed, "the CRL file is neither DER (it does not start with a SEQUENCE) nor PEM text")
        }
        return try parsePEM(text)
    }

    /// Parses one PEM `X509 CRL` block.
    ///
    /// - Throws: `CRLError` when the text holds no block, several blocks, a block with
    ///   another label, or a CRL that does not parse.
    public init(pemEncoded: String) throws(CRLError) {
        let lists = try Self.parsePEM(pemEncoded)
        guard lists.count == 1 else {
            throw CRLError(.malformed, "the PEM text holds \(lists.count) CRLs; exactly one was expected")
        }
        self = lists[0]
    }

    /// The CRL as one PEM block labelled `X509 CRL`.
    public var pemEncoded: String {
        PEMDocument(type: Self.pemLabel, derBytes: derEncoded).pemString
    }

    private static func parsePEM(_ text: String) throws(CRLError) -> [CertificateRevocationList] {
        guard text.utf8.count <= maximumFileSize else {
            throw CRLError(.fileTooLarge, "the CRL file is \(text.utf8.count) bytes; at most \(maximumFileSize) are accepted")
        }
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: text)
        } catch {
            throw CRLError(.malformed, "the CRL file is not valid PEM: \(crlDescribe(error))")
        }
        guard !documents.isEmpty else {
            throw CRLError(
                .wrongPEMLabel,
                "the CRL file holds no PEM block; expected -----BEGIN \(pemLabel)----- or a DER CRL"
            )
        }
        var lists: [CertificateRevocationList] = []
        lists.reserveCapacity(documents.count)
        for (index, document) in documents.enumerated() {
            guard document.discriminator == pemLabel else {
                throw CRLError(
                    .wrongPEMLabel,
                    "PEM block \(index + 1) is labelled \(crlQuoted(document.discriminator)), not \"\(pemLabel)\""
                )
            }
            do {
                lists.append(try CertificateRevocationList(derEncoded: document.derBytes))
            } catch {
                throw error.prefixed("PEM block \(index + 1)")
            }
        }
        return lists
    }
}

private func crlIsWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
}

/// A label from the input, quoted, with control characters replaced and at most 64 characters.
private func crlQuoted(_ label: String) -> String {
    let cleaned = label.unicodeScalars.prefix(64).map { scalar in
        scalar.properties.generalCategory == .control ? "?" : String(scalar)
    }.joined()
    return "\"\(cleaned)\(label.unicodeScalars.count > 64 ? "…" : "")\""
}
