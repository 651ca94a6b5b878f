import Crypto
@testable import KMSCrypto
import Testing

/// The format 2 message key from the prepared, copied HMAC state equals a one-shot
/// HMAC-SHA256 over the whole SP 800-108 input, whatever came before it: deriving for one
/// message leaves nothing behind in the shared state for the next.
@Suite struct CounterModeKDFTests {
    static func oneShot(material: [UInt8], context: [UInt8]) -> [UInt8] {
        let input: [UInt8] = [0, 0, 0, 1] + Array("swift-kms/v2/encrypt".utf8) + [0] + context + [0, 0, 1, 0]
        return Array(HMAC<SHA256>.authenticationCode(for: input, using: SymmetricKey(data: material)))
    }

    @Test func eachDerivationIsTheOneShotHMACOfItsOwnInput() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<100 {
            let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            let material = try KeyMaterial(bytes: bytes)
            // Several messages in a row under one prepared state, of the blob's 53-byte context.
            for _ in 0..<5 {
                let context = (0..<53).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
                let derived = material.messageKeys.deriveKey(context: context[...]).withUnsafeBytes { Array($0) }
                #expect(derived == Self.oneShot(material: bytes, context: context))
            }
        }
    }

    @Test func theKeyedStateNeverPrints() throws {
        let material = try KeyMaterial(bytes: [UInt8](repeating: 0x41, count: 32))
        for text in ["\(material.messageKeys)", String(reflecting: material.messageKeys)] {
            #expect(text == "CounterModeKDF(HMAC-SHA256)")
        }
        #expect(Mirror(reflecting: material.messageKeys).children.isEmpty)
        var dumped = ""
        dump(material.messageKeys, to: &dumped)
        #expect(dumped.contains("CounterModeKDF") && !dumped.contains("keyedPrefix"))
    }
}
