import Foundation
import KMSServer
import Testing

/// The `jobs:` key of the configuration file.
@Suite struct BackgroundJobsConfigurationTests {
    static let base = "listen: 127.0.0.1:0\ndata_dir: d\ntls: {certificate: a, private_key: b, client_ca: c}\n"

    @Test func theIntervalDefaultsToOneMinute() throws {
        #expect(try ServerConfiguration.parse(yaml: Self.base, relativeTo: "/").jobs.intervalSeconds == 60)
        #expect(try ServerConfiguration.parse(yaml: Self.base + "jobs: {}", relativeTo: "/").jobs.intervalSeconds == 60)
    }

    @Test(arguments: [1, 300, 86_400])
    func intervalsFromOneSecondToOneDayAreAccepted(seconds: Int) throws {
        let configuration = try ServerConfiguration.parse(yaml: Self.base + "jobs: {interval_seconds: \(seconds)}", relativeTo: "/")
        #expect(configuration.jobs.intervalSeconds == seconds)
    }

    @Test(arguments: ["0", "-5", "86401", "1.5", "\"60\"", "soon", "[60]"])
    func otherIntervalsAreRefusedByName(value: String) {
        #expect {
            try ServerConfiguration.parse(yaml: Self.base + "jobs: {interval_seconds: \(value)}", relativeTo: "/")
        } throws: { error in
            "\(error)".contains("jobs.interval_seconds")
        }
    }

    @Test func unknownJobKeysAreRefused() {
        #expect {
            try ServerConfiguration.parse(yaml: Self.base + "jobs: {interval: 60}", relativeTo: "/")
        } throws: { error in
            "\(error)".contains("jobs") && "\(error)".contains("interval_seconds")
        }
    }

    @Test func theServerRefusesAnIntervalOutOfRange() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kms-jobs-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pki = try TestPKI(directory: directory.appendingPathComponent("pki"))
        let configuration = TestServer.configuration(
            pki: pki,
            dataDirectory: directory.appendingPathComponent("data"),
            jobIntervalSeconds: 0
        )
        await #expect {
            _ = try await KMSServer(configuration: configuration)
        } throws: { error in
            "\(error)".contains("jobs.interval_seconds")
        }
    }
}
