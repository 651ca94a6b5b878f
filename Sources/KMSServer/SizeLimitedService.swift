import GRPCCore
import GRPCProtobuf
import KMSCore
import KMSProto
import SwiftProtobuf

/// Registers `kms.v1.KeyManagementService` with a per-method request size limit.
///
/// The transport refuses messages over `Limits.maxTransportMessageBytes` before reading
/// them whole; this adds the tighter limits of each method (64 KiB for single-item RPCs,
/// 1 MiB for batches), answered as RESOURCE_EXHAUSTED with reason `LIMIT_EXCEEDED` before
/// the message is decoded.
struct SizeLimitedService<Service: Kms_V1_KeyManagementService.StreamingServiceProtocol>: RegistrableRPCService {
    let service: Service

    init(_ service: Service) {
        self.service = service
    }

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        typealias Method = Kms_V1_KeyManagementService.Method
        let limit = Limits.maxRequestBytes
        router.register(Method.CreateKey.descriptor, limit: limit, service.createKey)
        router.register(Method.DescribeKey.descriptor, limit: limit, service.describeKey)
        router.register(Method.ListKeys.descriptor, limit: limit, service.listKeys)
        router.register(Method.Encrypt.descriptor, limit: limit, service.encrypt)
        router.register(Method.Decrypt.descriptor, limit: limit, service.decrypt)
        router.register(Method.ReEncrypt.descriptor, limit: limit, service.reEncrypt)
        router.register(Method.GenerateDataKey.descriptor, limit: limit, service.generateDataKey)
        router.register(Method.GenerateDataKeyWithoutPlaintext.descriptor, limit: limit, service.generateDataKeyWithoutPlaintext)
        router.register(Method.GenerateRandom.descriptor, limit: limit, service.generateRandom)
        router.register(Method.GetKeyPolicy.descriptor, limit: limit, service.getKeyPolicy)
        router.register(Method.ListKeyPolicies.descriptor, limit: limit, service.listKeyPolicies)
        router.register(Method.PutKeyPolicy.descriptor, limit: limit, service.putKeyPolicy)
        router.register(Method.GetCallerIdentity.descriptor, limit: limit, service.getCallerIdentity)
        router.register(Method.EnableKey.descriptor, limit: limit, service.enableKey)
        router.register(Method.DisableKey.descriptor, limit: limit, service.disableKey)
        router.register(Method.UpdateKeyDescription.descriptor, limit: limit, service.updateKeyDescription)
        router.register(Method.TagResource.descriptor, limit: limit, service.tagResource)
        router.register(Method.UntagResource.descriptor, limit: limit, service.untagResource)
        router.register(Method.ListResourceTags.descriptor, limit: limit, service.listResourceTags)
        router.register(Method.CreateAlias.descriptor, limit: limit, service.createAlias)
        router.register(Method.UpdateAlias.descriptor, limit: limit, service.updateAlias)
        router.register(Method.DeleteAlias.descriptor, limit: limit, service.deleteAlias)
        router.register(Method.ListAliases.descriptor, limit: limit, service.listAliases)
        router.register(Method.ScheduleKeyDeletion.descriptor, limit: limit, service.scheduleKeyDeletion)
        router.register(Method.CancelKeyDeletion.descriptor, limit: limit, service.cancelKeyDeletion)
        router.register(Method.EnableKeyRotation.descriptor, limit: limit, service.enableKeyRotation)
        router.register(Method.DisableKeyRotation.descriptor, limit: limit, service.disableKeyRotation)
        router.register(Method.GetKeyRotationStatus.descriptor, limit: limit, service.getKeyRotationStatus)
        router.register(Method.RotateKeyOnDemand.descriptor, limit: limit, service.rotateKeyOnDemand)
        router.register(Method.ListKeyRotations.descriptor, limit: limit, service.listKeyRotations)
        router.register(Method.DisableKeyVersion.descriptor, limit: limit, service.disableKeyVersion)
        router.register(Method.EnableKeyVersion.descriptor, limit: limit, service.enableKeyVersion)
        router.register(Method.CreateGrant.descriptor, limit: limit, service.createGrant)
        router.register(Method.ListGrants.descriptor, limit: limit, service.listGrants)
        router.register(Method.ListRetirableGrants.descriptor, limit: limit, service.listRetirableGrants)
        router.register(Method.RetireGrant.descriptor, limit: limit, service.retireGrant)
        router.register(Method.RevokeGrant.descriptor, limit: limit, service.revokeGrant)
        router.register(Method.ExplainAccess.descriptor, limit: limit, service.explainAccess)
        router.register(Method.ListAuditEvents.descriptor, limit: limit, service.listAuditEvents)
        router.register(Method.Sign.descriptor, limit: limit, service.sign)
        router.register(Method.Verify.descriptor, limit: limit, service.verify)
        router.register(Method.GetPublicKey.descriptor, limit: limit, service.getPublicKey)
        router.register(Method.GenerateMac.descriptor, limit: limit, service.generateMac)
        router.register(Method.VerifyMac.descriptor, limit: limit, service.verifyMac)
        router.register(Method.GenerateDataKeyPair.descriptor, limit: limit, service.generateDataKeyPair)
        router.register(Method.GenerateDataKeyPairWithoutPlaintext.descriptor, limit: limit, service.generateDataKeyPairWithoutPlaintext)
        let batchLimit = Limits.maxBatchRequestBytes
        router.register(Method.BatchEncrypt.descriptor, limit: batchLimit, service.batchEncrypt)
        router.register(Method.BatchDecrypt.descriptor, limit: batchLimit, service.batchDecrypt)
        router.register(Method.BatchGenerateDataKey.descriptor, limit: batchLimit, service.batchGenerateDataKey)
    }
}

extension RPCRouter {
    /// Registers a protobuf method whose request messages may be at most `limit` bytes.
    fileprivate mutating func register<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ method: MethodDescriptor,
        limit: Int,
        _ handler: @escaping @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) {
        registerHandler(
            forMethod: method,
            deserializer: SizeLimitedDeserializer<Input>(limit: limit),
            serializer: ProtobufSerializer<Output>(),
            handler: handler
        )
    }
}

/// Decodes a protobuf message after checking its encoded size.
struct SizeLimitedDeserializer<Message: SwiftProtobuf.Message>: MessageDeserializer {
    let limit: Int

    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> Message {
        guard serializedMessageBytes.count <= limit else {
            CurrentCall.audit?.noteError(.limitExceeded)
            throw ErrorMapping.status(for: KMSError(
                .limitExceeded,
                "the request message is \(serializedMessageBytes.count) bytes; at most \(limit) are allowed"
            ))
        }
        return try ProtobufDeserializer<Message>().deserialize(serializedMessageBytes)
    }
}
