import GRPCCore
import KMSCore
import KMSProto
import KMSService
import SwiftProtobuf

extension KeyManagementGRPCService {
    /// ScheduleKeyDeletion: the key becomes PENDING_DELETION until its deletion time, when
    /// the background job destroys its material.
    ///
    /// Fails with VALIDATION (window outside 7–30 days), KEY_NOT_FOUND, ACCESS_DENIED and
    /// INVALID_STATE (already pending deletion or destroyed).
    func scheduleKeyDeletion(
        request: Kms_V1_ScheduleKeyDeletionRequest,
        context: ServerContext
    ) async throws -> Kms_V1_ScheduleKeyDeletionResponse {
        try await handle { caller throws(KMSError) in
            let metadata = try await service.scheduleKeyDeletion(
                keyID: request.keyID,
                pendingWindowInDays: Int(request.pendingWindowInDays),
                context: caller
            )
            return .with {
                $0.keyID = metadata.keyID.description
                $0.keyState = Kms_V1_KeyState(metadata.keyState)
                if let deletionDate = metadata.deletionDate {
                    $0.deletionTime = Google_Protobuf_Timestamp(date: deletionDate)
                }
            }
        }
    }

    /// CancelKeyDeletion: a key pending deletion becomes DISABLED.
    ///
    /// Fails with KEY_NOT_FOUND, ACCESS_DENIED and INVALID_STATE (no deletion scheduled, or
    /// the key is already destroyed).
    func cancelKeyDeletion(
        request: Kms_V1_CancelKeyDeletionRequest,
        context: ServerContext
    ) async throws -> Kms_V1_CancelKeyDeletionResponse {
        try await handle { caller throws(KMSError) in
            let metadata = try await service.cancelKeyDeletion(keyID: request.keyID, context: caller)
            return .with { $0.keyID = metadata.keyID.description }
        }
    }
}
