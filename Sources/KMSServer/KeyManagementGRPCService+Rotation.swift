import GRPCCore
import KMSCore
import KMSProto
import KMSService
import SwiftProtobuf

extension KeyManagementGRPCService {
    /// EnableKeyRotation: the background job rotates the key every period (90–2560 days).
    ///
    /// Fails with VALIDATION, KEY_NOT_FOUND, ACCESS_DENIED and INVALID_STATE (pending
    /// deletion or destroyed).
    func enableKeyRotation(
        request: Kms_V1_EnableKeyRotationRequest,
        context: ServerContext
    ) async throws -> Kms_V1_EnableKeyRotationResponse {
        try await handle { caller throws(KMSError) in
            try await service.enableKeyRotation(
                keyID: request.keyID,
                rotationPeriodInDays: Int(request.rotationPeriodInDays),
                context: caller
            )
            return Kms_V1_EnableKeyRotationResponse()
        }
    }

    /// DisableKeyRotation: no more automatic rotations. Fails with KEY_NOT_FOUND and ACCESS_DENIED.
    func disableKeyRotation(
        request: Kms_V1_DisableKeyRotationRequest,
        context: ServerContext
    ) async throws -> Kms_V1_DisableKeyRotationResponse {
        try await handle { caller throws(KMSError) in
            try await service.disableKeyRotation(keyID: request.keyID, context: caller)
            return Kms_V1_DisableKeyRotationResponse()
        }
    }

    /// GetKeyRotationStatus: whether the key rotates automatically, how often and when next.
    /// Fails with KEY_NOT_FOUND and ACCESS_DENIED.
    func getKeyRotationStatus(
        request: Kms_V1_GetKeyRotationStatusRequest,
        context: ServerContext
    ) async throws -> Kms_V1_GetKeyRotationStatusResponse {
        try await handle { caller throws(KMSError) in
            let schedule = try await service.getKeyRotationStatus(keyID: request.keyID, context: caller)
            return Kms_V1_GetKeyRotationStatusResponse(schedule)
        }
    }

    /// RotateKeyOnDemand: a new current version now. Fails with KEY_NOT_FOUND, ACCESS_DENIED,
    /// KEY_DISABLED, KEY_PENDING_DELETION and KEY_DESTROYED.
    func rotateKeyOnDemand(
        request: Kms_V1_RotateKeyOnDemandRequest,
        context: ServerContext
    ) async throws -> Kms_V1_RotateKeyOnDemandResponse {
        try await handle { caller throws(KMSError) in
            let metadata = try await service.rotateKeyOnDemand(keyID: request.keyID, context: caller)
            return .with {
                $0.keyID = metadata.keyID.description
                $0.currentKeyVersion = metadata.currentVersion
            }
        }
    }

    /// ListKeyRotations: the versions made by rotations, oldest first, a page at a time.
    /// Fails with VALIDATION (page size or token), KEY_NOT_FOUND and ACCESS_DENIED.
    func listKeyRotations(
        request: Kms_V1_ListKeyRotationsRequest,
        context: ServerContext
    ) async throws -> Kms_V1_ListKeyRotationsResponse {
        try await handle { caller throws(KMSError) in
            let page = try await service.listKeyRotations(
                keyID: request.keyID,
                pageSize: Int(request.pageSize),
                pageToken: request.pageToken,
                context: caller
            )
            return .with {
                $0.rotations = page.rotations.map(Kms_V1_KeyRotation.init)
                $0.nextPageToken = page.nextPageToken
            }
        }
    }

    /// DisableKeyVersion: ciphertexts under that version fail with KEY_VERSION_DISABLED.
    /// Fails with KEY_NOT_FOUND, ACCESS_DENIED, KEY_VERSION_NOT_FOUND and INVALID_STATE (the
    /// current version).
    func disableKeyVersion(
        request: Kms_V1_DisableKeyVersionRequest,
        context: ServerContext
    ) async throws -> Kms_V1_DisableKeyVersionResponse {
        try await handle { caller throws(KMSError) in
            try await service.disableKeyVersion(keyID: request.keyID, version: request.keyVersion, context: caller)
            return Kms_V1_DisableKeyVersionResponse()
        }
    }

    /// EnableKeyVersion: a disabled version decrypts again. Fails with KEY_NOT_FOUND,
    /// ACCESS_DENIED and KEY_VERSION_NOT_FOUND.
    func enableKeyVersion(
        request: Kms_V1_EnableKeyVersionRequest,
        context: ServerContext
    ) async throws -> Kms_V1_EnableKeyVersionResponse {
        try await handle { caller throws(KMSError) in
            try await service.enableKeyVersion(keyID: request.keyID, version: request.keyVersion, context: caller)
            return Kms_V1_EnableKeyVersionResponse()
        }
    }
}
