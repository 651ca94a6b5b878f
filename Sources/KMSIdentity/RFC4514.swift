import SwiftASN1
import X509

/// Writes distinguished names as RFC 4514 strings, the form principals and identity
/// rules use for certificate subjects: `CN=legacy-app,OU=Payments,O=Example`.
///
/// swift-certificates' own `DistinguishedName.description` is close but not RFC 4514:
/// it names `emailAddress` `E`, leaves `UID` as a dotted OID, prints values that are not
/// text as `ASN1Any([…])` and does not escape NUL. This formatter follows the RFC:
/// - RDNs from the most specific (the last in the certificate) to the least, joined by `,`;
///   the attributes of a multi-valued RDN joined by `+`, in their DER (set) order.
/// - The short names of RFC 4514 §3 (`CN`, `L`, `ST`, `O`, `OU`, `C`, `STREET`, `DC`,
///   `UID`); every other type as its dotted OID.
/// - A text value (UTF8String, PrintableString, IA5String) of a type with a short name is
///   written as text with `,` `+` `"` `\` `<` `>` `;`, a leading space or `#` and a trailing
///   space escaped by a backslash, and NUL and other control characters as `\XX` hex.
/// - Any other value (a dotted-OID type, or a value such as a BMPString) as `#` and the
///   lower-case hex of its DER encoding.
public enum RFC4514 {
    /// The RFC 4514 string of `name`; the empty string for an empty name.
    public static func string(for name: DistinguishedName) -> String {
        name.reversed().map { rdn in
            rdn.map(attributeString).joined(separator: "+")
        }.joined(separator: ",")
    }

    /// The short names RFC 4514 §3 defines, by dotted OID.
    private static let shortNames: [String: String] = [
        "2.5.4.3": "CN",
        "2.5.4.7": "L",
        "2.5.4.8": "ST",
        "2.5.4.10": "O",
        "2.5.4.11": "OU",
        "2.5.4.6": "C",
        "2.5.4.9": "STREET",
        "0.9.2342.19200300.100.1.25": "DC",
        "0.9.2342.19200300.100.1.1": "UID",
    ]

    private static func attributeString(_ attribute: RelativeDistinguishedName.Attribute) -> String {
        let oid = String(describing: attribute.type)
        if let shortName = shortNames[oid], let text = String(attribute.value) {
            return "\(shortName)=\(escape(text))"
        }
        let name = shortNames[oid] ?? oid
        return "\(name)=#\(hex(derEncodingOf: attribute.value))"
    }

    /// Escapes a text value as RFC 4514 §2.4 requires.
    static func escape(_ value: String) -> String {
        let scalars = Array(value.unicodeScalars)
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for (index, scalar) in scalars.enumerated() {
            switch scalar {
            case ",", "+", "\"", "\\", "<", ">", ";":
                out += "\\\(scalar)"
            case "#" where index == 0:
                out += "\\#"
            case " " where index == 0 || index == scalars.count - 1:
                out += "\\ "
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += "\\" + hexByte(UInt8(scalar.value))
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func hex(derEncodingOf value: RelativeDistinguishedName.Attribute.Value) -> String {
        var serializer = DER.Serializer()
        // Serializing an already-parsed value re-emits its bytes; it cannot fail in practice.
        guard (try? serializer.serialize(ASN1Any(value))) != nil else { return "" }
        return serializer.serializedBytes.map(hexByte).joined()
    }

    private static func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
