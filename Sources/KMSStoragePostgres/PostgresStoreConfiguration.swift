import Foundation
import KMSCore
import PostgresNIO

/// How `kmsd` reaches its PostgreSQL database (`storage.postgres` in the configuration file).
///
/// Built from a libpq-style URL, `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE?sslmode=…`,
/// plus an optional password file, TLS files and pool size. The password never appears in
/// `description`, `debugDescription`, the mirror, `redactedURL` or any error message.
public struct PostgresStoreConfiguration: Sendable, Equatable {
    /// libpq's `sslmode` values. `allow` is read as `prefer`.
    public enum SSLMode: String, Sendable, Equatable, CaseIterable {
        /// No TLS.
        case disable
        /// TLS when the server offers it, plain text otherwise; the certificate is not
        /// verified (unless a CA file is given, as libpq does).
        case prefer
        /// TLS or no connection; the certificate is not verified (unless a CA file is given,
        /// as libpq does: then the chain is verified, not the host name).
        case require
        /// TLS; the server's chain must lead to the CA file. The host name is not checked.
        case verifyCA = "verify-ca"
        /// TLS; the server's chain must lead to the CA file (the system's trust roots when
        /// there is none) and its certificate must name the host.
        case verifyFull = "verify-full"

        /// The mode libpq uses when the URL names none.
        public static let libpqDefault = SSLMode.prefer

        /// Reads an `sslmode` value as libpq spells it; `allow` becomes `prefer`.
        public init?(libpqName: String) {
            if libpqName == "allow" {
                self = .prefer
            } else {
                self.init(rawValue: libpqName)
            }
        }
    }

    /// TLS files for the connection to PostgreSQL; every one is optional.
    public struct TLSFiles: Sendable, Equatable {
        /// CA certificates (PEM) the server's certificate must chain to (libpq `sslrootcert`).
        public var ca: String?
        /// The client certificate chain (PEM), leaf first (libpq `sslcert`).
        public var certificate: String?
        /// The client certificate's private key (PEM) (libpq `sslkey`).
        public var privateKey: String?

        public init(ca: String? = nil, certificate: String? = nil, privateKey: String? = nil) {
            self.ca = ca
            self.certificate = certificate
            self.privateKey = privateKey
        }

        /// Whether no file is named.
        public var isEmpty: Bool { ca == nil && certificate == nil && privateKey == nil }
    }

    /// The allowed pool sizes.
    public static let poolSizeRange = 1...100
    /// The pool size used when the configuration gives none.
    public static let defaultPoolSize = 8
    /// The port used when the URL names none.
    public static let defaultPort = 5432

    /// The server's host name or IP address (IPv6 without brackets).
    public var host: String
    public var port: Int
    public var username: String
    /// The password, from the URL or the password file; `nil` when there is none.
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    public var tls: TLSFiles
    /// The most connections this node opens to the database at once.
    public var poolSize: Int

    /// Settings from their parts; `validate()` checks them.
    ///
    /// - Throws: `PostgresConfigurationError` when `validate()` does.
    public init(
        host: String,
        port: Int = PostgresStoreConfiguration.defaultPort,
        username: String,
        password: String? = nil,
        database: String,
        sslMode: SSLMode = .libpqDefault,
        tls: TLSFiles = TLSFiles(),
        poolSize: Int = PostgresStoreConfiguration.defaultPoolSize
    ) throws(PostgresConfigurationError) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.sslMode = sslMode
        self.tls = tls
        self.poolSize = poolSize
        try validate()
    }

    /// Settings from a libpq-style URL.
    ///
    /// - Parameters:
    ///   - url: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?PARAMETERS]` (or `postgresql://`).
    ///     User, password, database and parameter values are percent-decoded; an IPv6 host goes
    ///     in brackets. The parameters may be `sslmode`, `sslrootcert`, `sslcert` and `sslkey`.
    ///   - passwordFile: A file holding the password (trailing line breaks are dropped); not
    ///     allowed when the URL has a password.
    ///   - tls: TLS files; each may instead be given in the URL, not in both places.
    ///   - poolSize: `poolSizeRange`; default `defaultPoolSize`.
    /// - Throws: `PostgresConfigurationError` naming the setting; never quoting the password.
    public init(
        url: String,
        passwordFile: String? = nil,
        tls: TLSFiles? = nil,
        poolSize: Int? = nil
    ) throws(PostgresConfigurationError) {
        let parsed = try PostgresURLParts(url)
        var files = parsed.tls
        if let tls {
            files.ca = try Self.once(tls.ca, files.ca, field: "storage.postgres.tls.ca", parameter: "sslrootcert")
            files.certificate = try Self.once(tls.certificate, files.certificate, field: "storage.postgres.tls.certificate", parameter: "sslcert")
            files.privateKey = try Self.once(tls.privateKey, files.privateKey, field: "storage.postgres.tls.private_key", parameter: "sslkey")
        }
        var password = parsed.password
        if let passwordFile {
            guard password == nil else {
                throw PostgresConfigurationError(
                    "storage.postgres: the password is given both in storage.postgres.url and by storage.postgres.password_file; give it in one place"
                )
            }
            password = try Self.readPassword(passwordFile)
        }
        try self.init(
            host: parsed.host,
            port: parsed.port,
            username: parsed.username,
            password: password,
            database: parsed.database,
            sslMode: parsed.sslMode ?? .libpqDefault,
            tls: files,
            poolSize: poolSize ?? Self.defaultPoolSize
        )
    }

    /// Checks the settings.
    ///
    /// - Throws: `PostgresConfigurationError` naming the setting that cannot be used.
    public func validate() throws(PostgresConfigurationError) {
        guard !host.isEmpty else { throw PostgresConfigurationError.url("no host; write postgres://USER@HOST[:PORT]/DATABASE") }
        guard (1...65_535).contains(port) else { throw PostgresConfigurationError.url("the port must be a number from 1 to 65535") }
        guard !username.isEmpty else { throw PostgresConfigurationError.url("no user name; write postgres://USER@HOST[:PORT]/DATABASE") }
        guard !database.isEmpty else { throw PostgresConfigurationError.url("no database; write postgres://USER@HOST[:PORT]/DATABASE") }
        guard Self.poolSizeRange.contains(poolSize) else {
            throw PostgresConfigurationError(
                "storage.postgres.pool_size: \(poolSize) is outside \(Self.poolSizeRange.lowerBound)–\(Self.poolSizeRange.upperBound)"
            )
        }
        guard (tls.certificate == nil) == (tls.privateKey == nil) else {
            throw PostgresConfigurationError(
                "storage.postgres.tls: a client certificate needs its private key and the other way round: give both certificate and private_key (sslcert and sslkey in the URL)"
            )
        }
        if sslMode == .verifyCA, tls.ca == nil {
            throw PostgresConfigurationError.url("sslmode=verify-ca needs the CA certificate: set storage.postgres.tls.ca (or sslrootcert in the URL)")
        }
        if sslMode == .disable, !tls.isEmpty {
            throw PostgresConfigurationError("storage.postgres.tls: TLS files are given, but sslmode=disable turns TLS off")
        }
    }

    /// The URL with the password replaced by `***`, the port and `sslmode` always written
    /// out and the TLS files as `sslrootcert`, `sslcert`, `sslkey`: for logs.
    public var redactedURL: String {
        var text = "postgres://" + Self.percentEncoded(username)
        if password != nil { text += ":***" }
        text += "@" + (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
        text += "/" + Self.percentEncoded(database)
        text += "?sslmode=" + sslMode.rawValue
        for (name, value) in [("sslrootcert", tls.ca), ("sslcert", tls.certificate), ("sslkey", tls.privateKey)] {
            if let value { text += "&\(name)=" + Self.percentEncoded(value, keeping: "/") }
        }
        return text
    }

    /// PostgresNIO's client configuration: TLS as `sslMode` says, the TLS files read now,
    /// at most `poolSize` connections.
    ///
    /// TLS: `disable` → none; `prefer` → TLS if offered, `require` → TLS or fail, both without
    /// verification (libpq's meaning) unless a CA file is given, which verifies the chain but
    /// not the host name (as libpq does); `verify-ca` → chain to the CA file; `verify-full` →
    /// chain to the CA file, or to the system's trust roots without one, and the host name.
    /// TLS 1.2 is the minimum.
    ///
    /// - Throws: `PostgresConfigurationError` when the settings are invalid or a TLS file
    ///   cannot be read.
    public func clientConfiguration() throws(PostgresConfigurationError) -> PostgresClient.Configuration {
        let tlsMode: PostgresClient.Configuration.TLS
        if let settings = try nioTLS() {
            tlsMode = settings.required ? .require(settings.configuration) : .prefer(settings.configuration)
        } else {
            tlsMode = .disable
        }
        var configuration = PostgresClient.Configuration(
            host: host,
            port: port,
            username: username,
            password: password,
            database: database,
            tls: tlsMode
        )
        configuration.options.maximumConnections = poolSize
        return configuration
    }

    /// The TLS half of `clientConfiguration()`: `nil` for `disable`, else whether TLS is
    /// required and NIOSSL's settings with the files loaded.
    func nioTLS() throws(PostgresConfigurationError) -> (required: Bool, configuration: TLSConfiguration)? {
        try validate()
        let verification: CertificateVerification
        let required: Bool
        switch sslMode {
        case .disable:
            return nil
        case .prefer, .require:
            // libpq verifies the chain (not the host name) in these modes when it has a root certificate.
            verification = tls.ca == nil ? CertificateVerification.none : .noHostnameVerification
            required = sslMode == .require
        case .verifyCA:
            verification = .noHostnameVerification
            required = true
        case .verifyFull:
            verification = .fullVerification
            required = true
        }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = verification
        if let ca = tls.ca {
            let roots = try Self.certificates(ca, field: "storage.postgres.tls.ca")
            configuration.trustRoots = .certificates(roots)
        } else {
            configuration.trustRoots = .default
        }
        if let certificate = tls.certificate, let privateKey = tls.privateKey {
            let chain = try Self.certificates(certificate, field: "storage.postgres.tls.certificate")
            configuration.certificateChain = chain.map { NIOSSLCertificateSource.certificate($0) }
            do {
                let key = try NIOSSLPrivateKey(file: privateKey, format: .pem)
                configuration.privateKey = .privateKey(key)
            } catch {
                throw PostgresConfigurationError(
                    "storage.postgres.tls.private_key: cannot read an unencrypted PEM private key from \(privateKey): \(error)"
                )
            }
        }
        return (required: required, configuration: configuration)
    }

    private static func certificates(_ path: String, field: String) throws(PostgresConfigurationError) -> [NIOSSLCertificate] {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw PostgresConfigurationError("\(field): cannot read PEM certificates from \(path): \(error)")
        }
        guard !certificates.isEmpty else {
            throw PostgresConfigurationError("\(field): \(path) holds no PEM certificate")
        }
        return certificates
    }

    /// The file's text without its trailing line breaks.
    private static func readPassword(_ path: String) throws(PostgresConfigurationError) -> String {
        var text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PostgresConfigurationError("storage.postgres.password_file: cannot read \(path): \(error.localizedDescription)")
        }
        while let last = text.last, last.isNewline {
            text.removeLast()
        }
        guard !text.isEmpty else {
            throw PostgresConfigurationError("storage.postgres.password_file: \(path) is empty")
        }
        return text
    }

    /// One of two sources of a TLS file, refusing both.
    private static func once(_ given: String?, _ fromURL: String?, field: String, parameter: String) throws(PostgresConfigurationError) -> String? {
        if given != nil, fromURL != nil {
            throw PostgresConfigurationError(
                "\(field): the file is also given by \(parameter) in storage.postgres.url; give it in one place"
            )
        }
        return given ?? fromURL
    }

    /// Percent-encodes all but RFC 3986's unreserved characters and `keeping`.
    static func percentEncoded(_ text: String, keeping: String = "") -> String {
        let kept = Set(keeping.utf8)
        var result = ""
        for byte in text.utf8 {
            let isUnreserved = (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
            if isUnreserved || kept.contains(byte) {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                result += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result
    }
}

extension PostgresStoreConfiguration: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The redacted URL and the pool size; never the password.
    public var description: String {
        "PostgresStoreConfiguration(\(redactedURL), pool_size: \(poolSize))"
    }

    public var debugDescription: String { description }

    /// The fields with the password as `***`, so `dump` and test output do not show it.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "host": host,
                "port": port,
                "username": username,
                "password": (password == nil ? nil : "***") as String?,
                "database": database,
                "sslMode": sslMode,
                "tls": tls,
                "poolSize": poolSize,
            ],
            displayStyle: .struct
        )
    }
}

/// A `storage.postgres` setting that cannot be used. The message names the setting and never
/// contains the password.
public struct PostgresConfigurationError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    static func url(_ problem: String) -> PostgresConfigurationError {
        PostgresConfigurationError("storage.postgres.url: \(problem)")
    }
}

/// The parts of a libpq-style URL. Error messages quote no part of the URL that could be
/// (part of) a password: an unencoded `@` left after the user information is refused before
/// anything else, so a password with an unencoded `/`, `?` or `@` is never taken for a host,
/// port, database or parameter.
struct PostgresURLParts {
    static let parameters = ["sslmode", "sslrootcert", "sslcert", "sslkey"]

    var username: String
    var password: String?
    var host: String
    var port: Int
    var database: String
    var sslMode: PostgresStoreConfiguration.SSLMode?
    var tls = PostgresStoreConfiguration.TLSFiles()

    init(_ url: String) throws(PostgresConfigurationError) {
        guard let rest = Self.droppingScheme(url) else {
            throw PostgresConfigurationError.url("must start with postgres:// or postgresql://")
        }

        // The user information ends at the first '@' before any '/' (as libpq reads it).
        var remainder = rest
        var userInfo: Substring?
        if let end = rest.firstIndex(where: { $0 == "@" || $0 == "/" }), rest[end] == "@" {
            userInfo = rest[..<end]
            remainder = rest[rest.index(after: end)...]
        }
        guard !remainder.contains("@") else {
            throw PostgresConfigurationError.url("an '@' after the user information; percent-encode '@' (%40), '/' (%2F) and '?' (%3F) in the user name, password and parameter values")
        }

        var username = ""
        var password: String?
        if let userInfo {
            let colon = userInfo.firstIndex(of: ":") ?? userInfo.endIndex
            username = try Self.decoded(userInfo[..<colon], what: "the user name")
            if colon < userInfo.endIndex {
                let secret = try Self.decoded(userInfo[userInfo.index(after: colon)...], what: "the password")
                password = secret.isEmpty ? nil : secret
            }
        }
        self.username = username
        self.password = password
        guard !username.isEmpty else { throw PostgresConfigurationError.url("no user name; write postgres://USER@HOST[:PORT]/DATABASE") }

        let authorityEnd = remainder.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? remainder.endIndex
        let (host, port) = try Self.hostAndPort(remainder[..<authorityEnd])
        self.host = host
        self.port = port

        var pathAndQuery = remainder[authorityEnd...]
        var query: Substring = ""
        if let questionMark = pathAndQuery.firstIndex(of: "?") {
            query = pathAndQuery[pathAndQuery.index(after: questionMark)...]
            pathAndQuery = pathAndQuery[..<questionMark]
        }
        // pathAndQuery is empty or starts with the '/' that ends the authority.
        database = try Self.decoded(pathAndQuery.dropFirst(), what: "the database name")
        guard !database.isEmpty else { throw PostgresConfigurationError.url("no database; write postgres://USER@HOST[:PORT]/DATABASE") }

        try readParameters(query)
    }

    private static func droppingScheme(_ url: String) -> Substring? {
        for scheme in ["postgresql://", "postgres://"] where url.prefix(scheme.count).lowercased() == scheme {
            return url.dropFirst(scheme.count)
        }
        return nil
    }

    private static func hostAndPort(_ authority: Substring) throws(PostgresConfigurationError) -> (String, Int) {
        guard !authority.isEmpty else {
            throw PostgresConfigurationError.url("no host; write postgres://USER@HOST[:PORT]/DATABASE (Unix-domain sockets are not supported)")
        }
        let host: Substring
        var portText: Substring?
        if authority.first == "[" {
            guard let close = authority.firstIndex(of: "]") else { throw PostgresConfigurationError.url("an IPv6 address without its closing ']'") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else { throw PostgresConfigurationError.url("after the ']' of an IPv6 address only ':PORT' may follow") }
                portText = after.dropFirst()
            }
            let allowed = Set("0123456789abcdefABCDEF:.")
            guard host.contains(":"), host.allSatisfy({ allowed.contains($0) }) else {
                throw PostgresConfigurationError.url("'\(host)' in brackets is not an IPv6 address")
            }
        } else {
            guard !authority.contains(",") else { throw PostgresConfigurationError.url("several hosts are not supported; give one") }
            let parts = authority.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw PostgresConfigurationError.url("an IPv6 address must be written in brackets: [ADDRESS]:PORT") }
            host = parts[0]
            portText = parts.count == 2 ? parts[1] : nil
            guard !host.isEmpty else {
                throw PostgresConfigurationError.url("no host; write postgres://USER@HOST[:PORT]/DATABASE (Unix-domain sockets are not supported)")
            }
            guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") }) else {
                throw PostgresConfigurationError.url("'\(host)' is not a host name or IP address")
            }
        }
        var port = PostgresStoreConfiguration.defaultPort
        if let portText {
            // The port is not quoted: in a URL that lacks its '@' it could be a password.
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
                let number = Int(portText), (1...65_535).contains(number)
            else {
                throw PostgresConfigurationError.url("the port must be a number from 1 to 65535")
            }
            port = number
        }
        return (String(host), port)
    }

    private mutating func readParameters(_ query: Substring) throws(PostgresConfigurationError) {
        var seen: Set<String> = []
        for pair in query.split(separator: "&") {
            let name: String
            let value: String
            if let equals = pair.firstIndex(of: "=") {
                name = try Self.decoded(pair[..<equals], what: "a query parameter name")
                value = try Self.decoded(pair[pair.index(after: equals)...], what: "the value of a query parameter")
            } else {
                name = try Self.decoded(pair, what: "a query parameter name")
                value = ""
            }
            guard Self.parameters.contains(name) else {
                throw PostgresConfigurationError.url("unknown query parameter '\(name)' (known: \(Self.parameters.sorted().joined(separator: ", ")))")
            }
            guard seen.insert(name).inserted else { throw PostgresConfigurationError.url("the query parameter \(name) is given twice") }
            guard !value.isEmpty else { throw PostgresConfigurationError.url("the query parameter \(name) has no value") }
            switch name {
            case "sslmode":
                guard let mode = PostgresStoreConfiguration.SSLMode(libpqName: value) else {
                    throw PostgresConfigurationError.url("sslmode '\(value)' is not one of disable, allow, prefer, require, verify-ca, verify-full")
                }
                sslMode = mode
            case "sslrootcert":
                guard value != "system" else {
                    throw PostgresConfigurationError.url("sslrootcert=system is not supported; leave it out: sslmode=verify-full uses the system's trust roots when no CA file is given")
                }
                tls.ca = value
            case "sslcert":
                tls.certificate = value
            default:
                tls.privateKey = value
            }
        }
    }

    /// Percent-decodes `text`; refuses a malformed escape, `%00` and bytes that are not UTF-8.
    /// The message names `what`, never the text.
    static func decoded(_ text: Substring, what: String) throws(PostgresConfigurationError) -> String {
        let utf8 = Array(text.utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "%") {
                guard index + 2 < utf8.count, let high = Hex.value(of: utf8[index + 1]), let low = Hex.value(of: utf8[index + 2]) else {
                    throw PostgresConfigurationError.url("\(what) has a malformed percent-encoding (write %XX with two hex digits)")
                }
                let byte = high << 4 | low
                guard byte != 0 else { throw PostgresConfigurationError.url("\(what) contains %00") }
                bytes.append(byte)
                index += 3
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        let decoded = String(decoding: bytes, as: UTF8.self)
        guard Array(decoded.utf8) == bytes else { throw PostgresConfigurationError.url("\(what) is not UTF-8 once percent-decoded") }
        return decoded
    }
}
