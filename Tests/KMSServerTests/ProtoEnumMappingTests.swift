import KMSCore
import KMSProto
import KMSService
import SwiftProtobuf
import Testing

@testable import KMSServer

/// The positional mapping between proto enums and domain enums (`PositionalProtoEnum`) pairs
/// every value with the one of the same name, in both directions.
@Suite struct ProtoEnumMappingTests {
    @Test func everyDomainValueMapsToTheProtoValueOfTheSameName() throws {
        try check(Kms_V1_KeySpec.self, prefix: "KEY_SPEC_", name: \.rawValue) { value in Kms_V1_KeyMetadata.with { $0.keySpec = value } }
        try check(Kms_V1_KeyUsage.self, prefix: "KEY_USAGE_", name: \.rawValue) { value in Kms_V1_KeyMetadata.with { $0.keyUsage = value } }
        try check(Kms_V1_KeyState.self, prefix: "KEY_STATE_", name: \.rawValue) { value in Kms_V1_KeyMetadata.with { $0.keyState = value } }
        try check(Kms_V1_DataKeySpec.self, prefix: "DATA_KEY_SPEC_", name: { $0 == .aes256 ? "AES_256" : "AES_128" }) { value in
            Kms_V1_GenerateDataKeyRequest.with { $0.keySpec = value }
        }
        try check(Kms_V1_MessageType.self, prefix: "MESSAGE_TYPE_", name: \.rawValue) { value in Kms_V1_SignRequest.with { $0.messageType = value } }
        try check(Kms_V1_SigningAlgorithm.self, prefix: "SIGNING_ALGORITHM_", name: \.rawValue) { value in
            Kms_V1_SignRequest.with { $0.signingAlgorithm = value }
        }
        try check(Kms_V1_EncryptionAlgorithm.self, prefix: "ENCRYPTION_ALGORITHM_", name: \.rawValue) { value in
            Kms_V1_EncryptRequest.with { $0.encryptionAlgorithm = value }
        }
        try check(Kms_V1_MacAlgorithm.self, prefix: "MAC_ALGORITHM_", name: \.rawValue) { value in
            Kms_V1_GenerateMacRequest.with { $0.macAlgorithm = value }
        }
        try check(Kms_V1_DataKeyPairSpec.self, prefix: "DATA_KEY_PAIR_SPEC_", name: \.rawValue) { value in
            Kms_V1_GenerateDataKeyPairRequest.with { $0.keyPairSpec = value }
        }
    }

    @Test func unspecifiedAndUnknownValuesAreReadAsSuch() throws {
        #expect(try Kms_V1_KeySpec.unspecified.domain(field: "key_spec") == nil)
        #expect(try Kms_V1_MessageType.unspecified.domain(field: "message_type", default: .raw) == .raw)
        #expect(throws: KMSError(.validation, "")) { try Kms_V1_SigningAlgorithm.unspecified.required(field: "signing_algorithm") }
        #expect(throws: KMSError(.validation, "")) { try Kms_V1_KeySpec.UNRECOGNIZED(99).domain(field: "key_spec") }
    }

    /// Checks that every domain value maps to the proto value whose JSON name is `prefix` +
    /// its name, that it maps back, and that the proto enum has no other values.
    private func check<Proto: PositionalProtoEnum & CaseIterable, Carrier: SwiftProtobuf.Message>(
        _ type: Proto.Type,
        prefix: String,
        name: (Proto.Domain) -> String,
        carrier: (Proto) -> Carrier
    ) throws {
        #expect(Proto.allCases.count == Proto.Domain.allCases.count + 1, "\(Proto.self) has values the domain lacks")
        for value in Proto.Domain.allCases {
            let proto = Proto(value)
            let json = try carrier(proto).jsonString()
            #expect(json.contains("\"\(prefix)\(name(value))\""), "\(value) became \(json)")
            #expect(try proto.domain(field: "field") == value)
        }
    }
}
