import Foundation
import FuzzSupport
import KMSDevPKI
import KMSTLS
import X509

// Fuzz target: certificate revocation lists (docs/IDENTITY.md), as `tls.crl_files` are read on
// every reload.
//
// Properties, for any bytes:
// - `CertificateRevocationList.parseFile` never crashes and fails only with a `CRLError`;
// - every CRL it returns parses again from its own DER to an equal CRL with the same issuer,
//   dates, algorithm and revoked count, and from its own PEM (`pemEncoded`) likewise;
// - `isSigned(by:)` against a CA with the dev CA's name, `lists(_:)` and `description` never
//   crash, and the revoked count is within `maximumEntryCount`.

private let authority = try! DevCertificateAuthority()
private let serials: [Certificate.SerialNumber] = [
    Certificate.SerialNumber(bytes: [0x01]),
    Certificate.SerialNumber(bytes: [0x00, 0xFF]),
    Certificate.SerialNumber(bytes: Array(repeating: 0x7F, count: 20)),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCertificateRevocationList(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let lists: [CertificateRevocationList]
    do {
        lists = try CertificateRevocationList.parseFile(Fuzz.bytes(data, size))
    } catch {
        Fuzz.require(!error.description.isEmpty, "a CRL error without a message")
        return 0
    }
    Fuzz.require(!lists.isEmpty, "a CRL file parsed into no CRL")
    for list in lists {
        for again in [try? CertificateRevocationList(derEncoded: list.derEncoded),
                      try? CertificateRevocationList(pemEncoded: list.pemEncoded)] {
            guard let again else { Fuzz.fail("a parsed CRL does not parse again from its own DER or PEM") }
            Fuzz.require(again == list && again.issuer == list.issuer && again.thisUpdate == list.thisUpdate
                         && again.nextUpdate == list.nextUpdate && again.signatureAlgorithm == list.signatureAlgorithm
                         && again.revokedCount == list.revokedCount && again.crlNumber == list.crlNumber
                         && again.authorityKeyIdentifier == list.authorityKeyIdentifier,
                         "a CRL parsed again differs: \(again) vs \(list)")
        }
        Fuzz.require(list.revokedCount <= CertificateRevocationList.maximumEntryCount, "\(list.revokedCount) entries")
        _ = list.isSigned(by: authority.certificate)
        for serial in serials {
            _ = list.lists(serial)
        }
        _ = list.description
    }
    return 0
}
