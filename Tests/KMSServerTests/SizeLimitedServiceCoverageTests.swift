import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import KMSAudit
import KMSCrypto
import KMSProto
@testable import KMSServer
import KMSService
import KMSStorage
import KMSStorageSQLite
import Logging
import Testing

/// `SizeLimitedService` lists the methods of `kms.v1.KeyManagementService` by hand; a method
/// added to the proto but not to that list would answer UNIMPLEMENTED. The generated
/// descriptors are the list it must match.
@Suite struct SizeLimitedServiceCoverageTests {
    @Test func everyMethodOfTheProtoIsRegistered() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kms-router-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let logger = Logger(label: "test")
        let store = try await SQLiteKeyStore.open(path: directory.appendingPathComponent("kms.sqlite").path, logger: logger)
        let rootKey = try RootKey(bytes: [UInt8](repeating: 7, count: RootKey.byteCount))
        let auditLog = try AuditLog(
            options: AuditLogOptions(directory: directory.appendingPathComponent("audit").path, sync: false),
            contextKey: rootKey.auditContextKey(),
            logger: logger
        )
        let service = KeyManagementService(store: store, rootKey: rootKey, serverPolicy: nil)

        var router = RPCRouter<HTTP2ServerTransport.Posix>()
        SizeLimitedService(KeyManagementGRPCService(service: service, auditLog: auditLog)).registerMethods(with: &router)

        let registered = Set(router.methods.map(\.fullyQualifiedMethod))
        let generated = Set(Kms_V1_KeyManagementService.Method.descriptors.map(\.fullyQualifiedMethod))
        #expect(generated.subtracting(registered).isEmpty, "not registered: \(generated.subtracting(registered).sorted())")
        #expect(registered.subtracting(generated).isEmpty, "not in the proto: \(registered.subtracting(generated).sorted())")

        auditLog.close()
        try await store.close()
    }
}
