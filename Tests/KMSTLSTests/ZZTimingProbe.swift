import Foundation
import KMSTLS
import SwiftASN1
import Testing

@Test func zzTimingProbe() throws {
    let clock = ContinuousClock()
    var t = clock.now
    let over = CRLTestSupport.Builder.withRepeatedEntries(count: 1_000_001)
    print("build", clock.now - t); t = clock.now
    _ = try DER.parse(over)
    print("DER.parse", clock.now - t); t = clock.now
    _ = try? CertificateRevocationList(derEncoded: over)
    print("over parse", clock.now - t); t = clock.now
    let at = CRLTestSupport.Builder.withRepeatedEntries(count: 1_000_000)
    _ = try CertificateRevocationList(derEncoded: at)
    print("at parse", clock.now - t); t = clock.now
}
