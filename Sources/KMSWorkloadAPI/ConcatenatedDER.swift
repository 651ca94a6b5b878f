import X509

/// Reads the Workload API's certificate fields: DER certificates written one after another,
/// with nothing between them (ASN.1 DER, not PEM).
enum ConcatenatedDER {
    /// Splits `bytes` into its top-level DER elements; `nil` when they do not tile it
    /// exactly (a truncated element, an indefinite or oversized length, trailing bytes).
    static func elements(_ bytes: [UInt8]) -> [ArraySlice<UInt8>]? {
        var elements: [ArraySlice<UInt8>] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            guard let length = elementLength(bytes, at: index) else { return nil }
            elements.append(bytes[index..<(index + length)])
            index += length
        }
        return elements
    }

    /// Parses every certificate in `bytes`, in order.
    ///
    /// - Throws: `WorkloadAPIError` with `code` and a message naming `field`, when `bytes`
    ///   is empty or any element is not a certificate.
    static func certificates(_ bytes: [UInt8], field: String, code: WorkloadAPIError.Code) throws(WorkloadAPIError) -> [Certificate] {
        guard !bytes.isEmpty else { throw WorkloadAPIError(code, "\(field) is empty") }
        guard let elements = elements(bytes) else {
            throw WorkloadAPIError(code, "\(field) is not a sequence of DER elements")
        }
        var certificates: [Certificate] = []
        for (number, element) in elements.enumerated() {
            do {
                certificates.append(try Certificate(derEncoded: Array(element)))
            } catch {
                throw WorkloadAPIError(code, "\(field): element \(number + 1) is not a DER certificate: \(error)")
            }
        }
        return certificates
    }

    /// The whole length (header and contents) of the DER element at `start`, when the
    /// element lies within `bytes`.
    private static func elementLength(_ bytes: [UInt8], at start: Int) -> Int? {
        // Tag (single byte: certificates are SEQUENCEs; high tag numbers are refused), then length.
        guard bytes.endIndex - start >= 2, bytes[start] & 0x1F != 0x1F else { return nil }
        let first = bytes[start + 1]
        var headerLength = 2
        var contentLength = 0
        if first < 0x80 {
            contentLength = Int(first)
        } else {
            let lengthBytes = Int(first & 0x7F)
            // 0x80 is BER's indefinite length; more than 4 length bytes is far beyond any certificate.
            guard lengthBytes >= 1, lengthBytes <= 4, bytes.endIndex - start >= 2 + lengthBytes else { return nil }
            for offset in 0..<lengthBytes {
                contentLength = contentLength << 8 | Int(bytes[start + 2 + offset])
            }
            headerLength += lengthBytes
        }
        guard contentLength <= bytes.endIndex - start - headerLength else { return nil }
        return headerLength + contentLength
    }
}
