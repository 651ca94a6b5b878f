import SwiftASN1
import X509

/// One element of an x-forwarded-client-cert header: what one proxy says about the client it accepted.
///
/// Envoy's `x-forwarded-client-cert` (XFCC) header is a comma-separated list of elements,
/// one per proxy hop; the last element was added by the proxy nearest to this server. An
/// element is a semicolon-separated list of `key=value` pairs with case-insensitive keys:
/// `By` (the proxy's own URI SAN), `Hash` (SHA-256 of the client certificate, hex),
/// `Cert` and `Chain` (URL-encoded PEM), `Subject` (RFC 2253, quoted), `URI` and `DNS`
/// (the client certificate's SANs, each possibly repeated). A value may be double-quoted;
/// inside quotes `,`, `;` and `=` are literal and `\"` stands for `"` (any other backslash
/// pair is kept as it is, so the RFC 2253 escapes of a subject survive).
///
/// The header says only what a proxy claims: trust it only from a proxy that is known to
/// remove a client-supplied XFCC header, and only after authenticating that proxy.
public struct ForwardedClientCertificate: Sendable, Equatable {
    /// The most elements a header may have: 16.
    public static let maximumElementCount = 16
    /// The longest header value accepted, in UTF-8 bytes: 64 KiB.
    public static let maximumHeaderLength = 64 * 1024

    /// `By`: the URI SANs of the proxy that added this element, in order.
    public var by: [String]
    /// `Hash`: the SHA-256 digest of the client certificate, as the proxy wrote it (hex).
    public var hash: String?
    /// `Cert`: the client certificate in PEM, URL-decoded.
    public var certificatePEM: String?
    /// `Chain`: the client certificate chain (leaf first) in PEM, URL-decoded.
    public var chainPEM: String?
    /// `Subject`: the client certificate's subject in RFC 2253 form; nil when absent or empty.
    public var subject: String?
    /// `URI`: the client certificate's URI SANs, in order; empty values are left out.
    public var uris: [String]
    /// `DNS`: the client certificate's DNS SANs, in order; empty values are left out.
    public var dnsNames: [String]

    /// Creates an element from its parts.
    public init(
        by: [String] = [],
        hash: String? = nil,
        certificatePEM: String? = nil,
        chainPEM: String? = nil,
        subject: String? = nil,
        uris: [String] = [],
        dnsNames: [String] = []
    ) {
        self.by = by
        self.hash = hash
        self.certificatePEM = certificatePEM
        self.chainPEM = chainPEM
        self.subject = subject
        self.uris = uris
        self.dnsNames = dnsNames
    }

    /// Parses a whole header value into its elements, in order.
    ///
    /// Unknown keys are ignored, for forward compatibility. Spaces and tabs around elements
    /// and pairs are ignored (a proxy that merges several header lines joins them with
    /// `", "`).
    ///
    /// - Throws: `ForwardedClientCertificateError` when the value is empty or longer than
    ///   `maximumHeaderLength`, has more than `maximumElementCount` elements, an empty
    ///   element or pair, a pair without `=`, a control character, an unterminated quote,
    ///   text after a closing quote, a quote inside an unquoted value, bad percent-encoding
    ///   in `Cert` or `Chain`, `Cert`, `Chain`, `Hash` or `Subject` twice in one element, or
    ///   an element with no recognised key. The message names the element (1-based).
    public static func parseHeader(
        _ value: String
    ) throws(ForwardedClientCertificateError) -> [ForwardedClientCertificate] {
        var parser = ForwardedClientCertificateParser(value)
        return try parser.parse()
    }

    /// The client certificate of `Cert`, parsed; nil when the element has no `Cert`.
    ///
    /// - Throws: `ForwardedClientCertificateError` when the PEM is not one certificate.
    public func certificate() throws(ForwardedClientCertificateError) -> Certificate? {
        guard let certificatePEM else { return nil }
        do {
            return try Certificate(pemEncoded: certificatePEM)
        } catch {
            throw ForwardedClientCertificateError(
                .invalidCertificate,
                "the Cert value is not one PEM certificate: \(String(describing: error).prefix(200))"
            )
        }
    }

    /// The certificates of `Chain`, parsed, leaf first; empty when the element has no `Chain`.
    ///
    /// - Throws: `ForwardedClientCertificateError` when the PEM holds something other than
    ///   certificates, or none.
    public func chain() throws(ForwardedClientCertificateError) -> [Certificate] {
        guard let chainPEM else { return [] }
        do {
            let documents = try PEMDocument.parseMultiple(pemString: chainPEM)
            guard !documents.isEmpty else {
                throw ForwardedClientCertificateError(.invalidCertificate, "the Chain value holds no PEM certificate")
            }
            return try documents.map { try Certificate(pemDocument: $0) }
        } catch let error as ForwardedClientCertificateError {
            throw error
        } catch {
            throw ForwardedClientCertificateError(
                .invalidCertificate,
                "the Chain value is not a list of PEM certificates: \(String(describing: error).prefix(200))"
            )
        }
    }
}

/// Why an x-forwarded-client-cert header was refused. The message names the problem and
/// the element (1-based) and quotes at most a few characters of the header.
///
/// Two errors are equal when their codes are.
public struct ForwardedClientCertificateError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// A short stable name, such as `SYNTAX`.
        public let name: String

        private init(_ name: String) { self.name = name }

        public var description: String { name }

        /// The header value is empty.
        public static let empty = Code("EMPTY")
        /// The header is longer than `maximumHeaderLength` or has more than `maximumElementCount` elements.
        public static let tooLarge = Code("TOO_LARGE")
        /// The header does not follow the element/pair/quoting syntax, or has a control character.
        public static let syntax = Code("SYNTAX")
        /// `Cert` or `Chain` is not valid percent-encoded UTF-8.
        public static let badPercentEncoding = Code("BAD_PERCENT_ENCODING")
        /// `Cert`, `Chain`, `Hash` or `Subject` appears twice in one element.
        public static let duplicateKey = Code("DUPLICATE_KEY")
        /// An element has none of By, Hash, Cert, Chain, Subject, URI, DNS.
        public static let noRecognisedKey = Code("NO_RECOGNISED_KEY")
        /// `Cert` or `Chain` does not hold PEM certificates (from `certificate()` and `chain()`).
        public static let invalidCertificate = Code("INVALID_CERTIFICATE")
    }

    /// What kind of failure this is.
    public let code: Code
    /// What is wrong, for logs and operators.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static func == (lhs: ForwardedClientCertificateError, rhs: ForwardedClientCertificateError) -> Bool {
        lhs.code == rhs.code
    }
}
