import Foundation
import KMSCore
import KMSCrypto
@testable import KMSServer
import Logging
import Testing

/// `KMSServer.init` runs the crypto known-answer tests first: a wrong answer refuses
/// start-up with a message naming the primitive, before anything is opened or created.
@Suite struct StartupSelfTestTests {
    @Test(arguments: CryptoSelfTest.Primitive.allCases)
    func aKnownAnswerFailureRefusesStartUpBeforeAnythingIsOpened(_ primitive: CryptoSelfTest.Primitive) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kms-self-test-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pki = try TestPKI(directory: directory.appendingPathComponent("pki"))
        let dataDirectory = directory.appendingPathComponent("data")
        let configuration = TestServer.configuration(pki: pki, dataDirectory: dataDirectory)

        let error = await CryptoSelfTest.$corruptedVector.withValue(primitive) {
            await #expect(throws: StartupError.self) { try await KMSServer(configuration: configuration) }
        }
        let message = try #require(error?.description)
        #expect(message.hasPrefix("cryptographic self-test failed: \(primitive.rawValue) known-answer test failed: "), "\(message)")
        #expect(message.hasSuffix("; kmsd does not start with a primitive that gives wrong answers"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: dataDirectory.path), "the data directory was created before the self-test")
    }

    @Test func aPassingSelfTestIsLoggedWithItsDuration() throws {
        let log = ListenerTestLog()
        try StartupSelfTest.run(logger: log.logger)
        let entry = try #require(log.all.first { $0.message == "cryptographic self-tests passed" })
        #expect(entry.level == .info)
        #expect(entry.metadata["known_answer_tests"] == "\(CryptoSelfTest.Primitive.allCases.count)")
        let milliseconds = try #require(entry.metadata["duration_ms"].flatMap { Double("\($0)") })
        print("StartupSelfTest.run: \(milliseconds) ms")
        #expect(milliseconds < 1_000)
    }

    /// A failed pairwise-consistency check reaches the server log at `critical`.
    @Test func pairwiseFailuresAreLoggedAsCritical() throws {
        let log = ListenerTestLog()
        let report = StartupSelfTest.pairwiseFailureReporter(logger: log.logger)
        let key = try AsymmetricPrivateKey.generate(.eccNistP256)
        PairwiseConsistency.$injectedFailure.withValue(true) {
            #expect(throws: KMSError(.internalFailure, "")) { try PairwiseConsistency.check(key, report: report) }
        }
        #expect(log.contains(level: .critical, "a new ECC_NIST_P256 key failed its pairwise-consistency check"))
    }

    @Test func millisecondsAreRoundedToATenth() {
        #expect(StartupSelfTest.milliseconds(.microseconds(12_345)) == 12.3)
        #expect(StartupSelfTest.milliseconds(.seconds(1)) == 1_000)
    }
}
