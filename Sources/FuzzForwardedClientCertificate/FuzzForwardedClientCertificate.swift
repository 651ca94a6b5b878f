import FuzzSupport
import KMSTLS

// Fuzz target: the x-forwarded-client-cert header (docs/IDENTITY.md), as
// `ForwardedCallerResolver` reads it from a trusted proxy's call.
//
// Properties, for any text:
// - `ForwardedClientCertificate.parseHeader` never crashes, and a header it accepts has 1 to
//   16 elements;
// - in every element, `certificate()` and `chain()` never crash, and `chain()` of a `Chain`
//   that parses is never empty;
// - `By`, `Hash`, `Subject`, `URI` and `DNS` values carry no control character (the header
//   may not), and `URI`, `DNS` and `Subject` values are never empty (empty ones are left out);
// - spaces and tabs around the header change nothing: the header wrapped in them parses to
//   the same elements, or fails with the same code.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzForwardedClientCertificate(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
    let result: Result<[ForwardedClientCertificate], ForwardedClientCertificateError>
    do {
        result = .success(try ForwardedClientCertificate.parseHeader(text))
    } catch {
        result = .failure(error)
    }

    if text.utf8.count + 3 <= ForwardedClientCertificate.maximumHeaderLength {
        let wrapped: Result<[ForwardedClientCertificate], ForwardedClientCertificateError>
        do {
            wrapped = .success(try ForwardedClientCertificate.parseHeader(" \t" + text + " "))
        } catch {
            wrapped = .failure(error)
        }
        switch (result, wrapped) {
        case (.success(let plain), .success(let spaced)):
            Fuzz.require(plain == spaced, "surrounding spaces changed the elements")
        case (.failure(let plain), .failure(let spaced)):
            Fuzz.require(plain.code == spaced.code, "surrounding spaces changed the error from \(plain.code) to \(spaced.code)")
        default:
            Fuzz.fail("surrounding spaces changed whether the header parses: \(result) vs \(wrapped)")
        }
    }

    guard case .success(let elements) = result else { return 0 }
    Fuzz.require((1...ForwardedClientCertificate.maximumElementCount).contains(elements.count),
                 "a header parsed into \(elements.count) elements")
    for element in elements {
        let texts = element.by + element.uris + element.dnsNames + [element.hash, element.subject].compactMap { $0 }
        for value in texts {
            Fuzz.require(!value.unicodeScalars.contains { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7F },
                         "a value with a control character: \(value.debugDescription)")
        }
        Fuzz.require(!element.uris.contains("") && !element.dnsNames.contains("") && element.subject != "",
                     "an empty URI, DNS or Subject value was kept")
        _ = try? element.certificate()
        if let chain = try? element.chain() {
            Fuzz.require(element.chainPEM == nil || !chain.isEmpty, "a Chain parsed into no certificate")
        }
    }
    return 0
}
