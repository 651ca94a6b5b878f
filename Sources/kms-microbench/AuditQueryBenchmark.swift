import Crypto
import Foundation
import KMSAudit
import Logging

/// Times the audit trail's query path over a large file set: `records` records spread
/// over 1,000 keys and 50 principals, in 64 MiB files like the server writes.
///
/// Reports the index rebuild when the set is first opened, a re-open with the index in
/// place, the first page of one key's records, and every page of them.
enum AuditQueryBenchmark {
    /// One timed step.
    struct Step {
        let name: String
        let seconds: Double
    }

    static let keyCount = 1_000

    static func run(records: Int) throws -> [Step] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kms-audit-bench-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let keys = (0..<keyCount).map { _ in UUID().uuidString.lowercased() }
        let writing = try time { try writeFileSet(records: records, keys: keys, in: directory) }
        let options = AuditLogOptions(directory: directory, sync: false)
        let logger = Logger(label: "kms-microbench")
        let key = SymmetricKey(size: .bits256)
        var steps = [Step(name: "write \(records) records (setup)", seconds: writing)]
        steps.append(Step(name: "open, building the index", seconds: try time { try AuditLog(options: options, contextKey: key, logger: logger).close() }))
        let log = try AuditLog(options: options, contextKey: key, logger: logger)
        defer { log.close() }
        let target = keys[keyCount / 2]
        var matched = 0
        steps.append(Step(name: "first page (100) of one key's records", seconds: try time {
            matched = try log.query(AuditQuery(keyID: target, pageSize: 100)).records.count
        }))
        guard matched == min(100, records / keyCount) else { throw BenchmarkFailure("the first page held \(matched) records") }
        steps.append(Step(name: "all \(records / keyCount) records of one key, 100 per page", seconds: try time {
            var after: UInt64?
            matched = 0
            repeat {
                let page = try log.query(AuditQuery(keyID: target, pageSize: 100, afterSequence: after))
                matched += page.records.count
                after = page.continueAfter
            } while after != nil
        }))
        guard matched == records / keyCount else { throw BenchmarkFailure("the key's pages held \(matched) records") }
        return steps
    }

    /// Writes a chained file set directly (no server), rotating at 64 MiB; every
    /// `keyCount`-th record is about the same key.
    private static func writeFileSet(records: Int, keys: [String], in directory: String) throws {
        var previous = AuditLine.genesisHash
        var buffer: [UInt8] = []
        var fileStart: UInt64 = 1
        func flush() throws {
            let path = (directory as NSString).appendingPathComponent(AuditFileSet.fileName(firstSequence: fileStart))
            try Data(buffer).write(to: URL(fileURLWithPath: path))
            buffer.removeAll(keepingCapacity: true)
        }
        let start = Date()
        for index in 0..<records {
            let sequence = UInt64(index + 1)
            let record = AuditRecord(
                time: start.addingTimeInterval(Double(index) / 1_000), requestID: UUID().uuidString.lowercased(),
                principal: "spiffe://bench.example/ns/app/sa/service-\(index % 50)", source: "10.0.0.\(index % 250)",
                action: index % 2 == 0 ? "kms:Encrypt" : "kms:Decrypt", keyID: keys[index % keys.count], keyVersion: 1,
                outcome: .allowed, encryptionContextKeys: ["tenant"], encryptionContextHMAC: String(repeating: "ab", count: 32)
            )
            let (line, hash) = AuditLine.encode(record, sequence: sequence, previousHash: previous)
            if buffer.count + line.count + 1 > AuditLogOptions.defaultMaxFileBytes {
                try flush()
                fileStart = sequence
            }
            buffer.append(contentsOf: line)
            buffer.append(UInt8(ascii: "\n"))
            previous = hash
        }
        try flush()
    }

    private static func time(_ body: () throws -> Void) throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try body()
        let elapsed = start.duration(to: clock.now)
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
}

/// A benchmark whose result was wrong, so its timing means nothing.
struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
