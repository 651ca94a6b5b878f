import X509

/// Text forms of subject alternative names, as `CallerIdentity.certificateSANs` lists them.
enum SubjectAlternativeNameText {
    /// `URI:…`, `DNS:…`, `IP:…` (dotted IPv4 or RFC 5952 IPv6), `EMAIL:…`,
    /// `DIRNAME:<RFC 4514 name>`, `RID:<OID>`, `OTHERNAME:<type OID>`, `X400` or `EDIPARTY`.
    static func text(for name: GeneralName) -> String {
        switch name {
        case .uniformResourceIdentifier(let uri): "URI:\(uri)"
        case .dnsName(let dns): "DNS:\(dns)"
        case .ipAddress(let address): "IP:\(IPAddressText.text(for: Array(address.bytes)))"
        case .rfc822Name(let email): "EMAIL:\(email)"
        case .directoryName(let directoryName): "DIRNAME:\(RFC4514.string(for: directoryName))"
        case .registeredID(let oid): "RID:\(oid)"
        case .otherName(let otherName): "OTHERNAME:\(otherName.typeID)"
        case .x400Address: "X400"
        case .ediPartyName: "EDIPARTY"
        }
    }
}

/// Text forms of the IP addresses found in certificates.
enum IPAddressText {
    /// Dotted decimal for 4 bytes, RFC 5952 form for 16 bytes (lower case, the longest run
    /// of two or more zero groups, the first such run on a tie, shortened to `::`), and
    /// `#` plus hex for any other length, which is not a valid address.
    static func text(for bytes: [UInt8]) -> String {
        switch bytes.count {
        case 4:
            return bytes.map(String.init).joined(separator: ".")
        case 16:
            let groups = stride(from: 0, to: 16, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
            return ipv6Text(groups)
        default:
            return "#" + bytes.map { byte in
                let digits = String(byte, radix: 16)
                return digits.count == 1 ? "0" + digits : digits
            }.joined()
        }
    }

    private static func ipv6Text(_ groups: [UInt16]) -> String {
        // Find the longest run of zero groups (at least two long).
        var best: Range<Int>?
        var index = 0
        while index < groups.count {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            var end = index
            while end < groups.count, groups[end] == 0 {
                end += 1
            }
            if end - index >= 2, end - index > (best?.count ?? 0) {
                best = index..<end
            }
            index = end
        }
        let hex = groups.map { String($0, radix: 16) }
        guard let run = best else { return hex.joined(separator: ":") }
        let head = hex[..<run.lowerBound].joined(separator: ":")
        let tail = hex[run.upperBound...].joined(separator: ":")
        return "\(head)::\(tail)"
    }
}
