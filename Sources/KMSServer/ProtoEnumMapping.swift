import KMSCore
import KMSCrypto
import KMSProto
import KMSService
import SwiftProtobuf

/// A proto enum whose values 1…n are the cases of a domain enum in declaration order, with
/// 0 for UNSPECIFIED. `ProtoEnumMappingTests` checks every pair by name (`KEY_SPEC_` +
/// `ECC_NIST_P256`), so a reordering on either side fails the tests instead of
/// silently swapping values.
protocol PositionalProtoEnum: SwiftProtobuf.Enum {
    associatedtype Domain: CaseIterable & Equatable where Domain.AllCases == [Domain]
}

extension PositionalProtoEnum {
    /// The proto value of a domain value.
    init(_ domain: Domain) {
        let position = Domain.allCases.firstIndex(of: domain) ?? 0
        self = Self(rawValue: position + 1) ?? Self()
    }

    /// The domain value; `nil` for UNSPECIFIED.
    ///
    /// - Throws: `.validation` naming `field` for a value this server does not know.
    func domain(field: String) throws(KMSError) -> Domain? {
        guard rawValue != 0 else { return nil }
        let cases = Domain.allCases
        guard (1...cases.count).contains(rawValue) else {
            throw KMSError(.validation, "\(field) \(rawValue) is not a known \(Self.self)".replacingOccurrences(of: "Kms_V1_", with: ""))
        }
        return cases[rawValue - 1]
    }

    /// The domain value, or `defaultValue` for UNSPECIFIED.
    func domain(field: String, default defaultValue: Domain) throws(KMSError) -> Domain {
        try domain(field: field) ?? defaultValue
    }

    /// The domain value of a field that must be set.
    ///
    /// - Throws: `.validation` for UNSPECIFIED or an unknown value.
    func required(field: String) throws(KMSError) -> Domain {
        guard let value = try domain(field: field) else { throw KMSError(.validation, "\(field) is required") }
        return value
    }
}

extension Kms_V1_KeySpec: PositionalProtoEnum { typealias Domain = KeySpec }
extension Kms_V1_KeyUsage: PositionalProtoEnum { typealias Domain = KeyUsage }
extension Kms_V1_KeyState: PositionalProtoEnum { typealias Domain = KeyState }
extension Kms_V1_DataKeySpec: PositionalProtoEnum { typealias Domain = DataKeySpec }
extension Kms_V1_MessageType: PositionalProtoEnum { typealias Domain = MessageType }
extension Kms_V1_SigningAlgorithm: PositionalProtoEnum { typealias Domain = SigningAlgorithm }
extension Kms_V1_EncryptionAlgorithm: PositionalProtoEnum { typealias Domain = EncryptionAlgorithm }
extension Kms_V1_MacAlgorithm: PositionalProtoEnum { typealias Domain = MACAlgorithm }
extension Kms_V1_DataKeyPairSpec: PositionalProtoEnum { typealias Domain = DataKeyPairSpec }
