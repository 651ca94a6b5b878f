import ArgumentParser
import Foundation
import GRPCCore
import KMSClient
import KMSCommandLine
import KMSCore
import KMSProto

/// `kms-bench`: the load generator. Drives a running `kmsd` over mutual TLS from its own
/// process and reports throughput, call latency, errors and the server's CPU time per
/// operation (docs/PERFORMANCE.md).
@main
struct KMSBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kms-bench",
        abstract: "Load generator for a running kmsd (gRPC over mutual TLS).",
        discussion: """
            Opens --connections clients, each with its own transport, and runs --concurrency \
            workers spread over them; each worker issues one call at a time. Calls that complete \
            in the --duration seconds after the --warmup seconds are measured. Unless --key-id is \
            given, --keys keys are created first (CreateKey; they stay on the server); ciphertexts \
            for decrypt, re-encrypt, batch-decrypt and mix are made beforehand with Encrypt. \
            `health` (grpc.health.v1.Health/Check on the same connections) is the floor; `mix` is \
            50 % decrypt, 30 % encrypt, 20 % generate-data-key. `sign` and `verify` use ECC_NIST_P256 \
            keys (ECDSA_SHA_256, signatures for verify made beforehand), `generate-mac` HMAC_256 \
            keys, `generate-data-key-pair` symmetric keys and --key-pair-spec pairs. Failed calls \
            are counted by \
            status; calls refused THROTTLED (over the caller's request quota) are counted apart, \
            not as errors, and not in the latencies; when no call succeeds, kms-bench prints the first error and exits with status 1.
            """
    )

    @OptionGroup(title: "Connection options (shared with kmsctl)")
    var connection: ConnectionArguments

    /// The old spelling of `--cert-key`, kept hidden for one release.
    @Option(name: .customLong("key"), help: ArgumentHelp("The old spelling of --cert-key; it will be removed.", valueName: "file", visibility: .hidden))
    var deprecatedKey: String?

    @Option(help: "Client connections, each its own gRPC client and transport.")
    var connections = 4

    @Option(help: "Calls in flight in total, spread over the connections.")
    var concurrency = 64

    @Option(
        name: .customLong("idle-connections"),
        help: ArgumentHelp("Extra connections opened before the run (one health check each) and left idle during it, at most 5000.", valueName: "n")
    )
    var idleConnections = 0

    @Option(help: ArgumentHelp("Seconds measured.", valueName: "seconds"))
    var duration: Double = 10

    @Option(help: ArgumentHelp("Seconds of calls before the measurement (not measured).", valueName: "seconds"))
    var warmup: Double = 2

    @Option(help: ArgumentHelp(
        "Calls per second in total, spaced evenly over the run (default: each worker calls back to back); latencies then count from each call's scheduled time.",
        valueName: "calls"
    ))
    var rate: Double?

    @Option(help: ArgumentHelp("The operation to measure.", valueName: "op"))
    var op: BenchOperation

    @Option(help: ArgumentHelp("Items per batch call (batch-encrypt, batch-decrypt, batch-generate-data-key), at most \(Limits.batchItems.upperBound).", valueName: "items"))
    var batch = 100

    @Option(help: ArgumentHelp("Plaintext bytes per Encrypt item (message bytes for sign, verify, generate-mac), at most \(Limits.maxPlaintextBytes).", valueName: "bytes"))
    var payload = 256

    @Option(
        name: .customLong("key-pair-spec"),
        help: ArgumentHelp("The key pairs of generate-data-key-pair: \(Kms_V1_DataKeyPairSpec.names.joined(separator: ", ")).", valueName: "spec")
    )
    var keyPairSpecName = "ECC_NIST_P256"

    @Option(help: "Keys to spread the calls over, created at start (default 1, or the number of --key-id).")
    var keys: Int?

    @Flag(name: .customLong("reuse-keys"), help: "Use the server's enabled keys (ListKeys) before creating new ones.")
    var reuseKeys = false

    @Option(name: .customLong("key-id"), help: "Use this existing key instead of creating one; repeat for more.")
    var keyIDs: [String] = []

    @Option(name: .customLong("aws-target"), help: ArgumentHelp("The AWS-compatible endpoint, for --op aws-encrypt.", valueName: "host:port"))
    var awsTarget: String?

    @Option(name: .customLong("server-pid"), help: ArgumentHelp("Report the CPU time of this (local) kmsd process over the measurement.", valueName: "pid"))
    var serverPID: Int32?

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func validate() throws {
        guard deprecatedKey == nil || connection.certKey == nil else {
            throw ValidationError("give --cert-key only (--key is its old spelling)")
        }
        guard connections >= 1 else { throw ValidationError("--connections must be at least 1") }
        guard (0...5000).contains(idleConnections) else { throw ValidationError("--idle-connections must be from 0 to 5000") }
        guard concurrency >= connections else { throw ValidationError("--concurrency must be at least --connections (\(connections))") }
        guard duration > 0 else { throw ValidationError("--duration must be a positive number of seconds") }
        guard warmup >= 0 else { throw ValidationError("--warmup must not be negative") }
        if let rate { guard rate > 0, rate.isFinite else { throw ValidationError("--rate must be a positive number of calls per second") } }
        guard Limits.batchItems.contains(batch) else { throw ValidationError("--batch must be from 1 to \(Limits.batchItems.upperBound)") }
        guard Kms_V1_DataKeyPairSpec(named: keyPairSpecName) != nil else {
            throw ValidationError("--key-pair-spec must be one of \(Kms_V1_DataKeyPairSpec.names.joined(separator: ", "))")
        }
        guard (1...Limits.maxPlaintextBytes).contains(payload) else { throw ValidationError("--payload must be from 1 to \(Limits.maxPlaintextBytes)") }
        if let awsTarget { guard HostPort(parsing: awsTarget) != nil else { throw ValidationError("--aws-target must be host:port") } }
        guard !op.usesAWSEndpoint || awsTarget != nil else { throw ValidationError("--op \(op.rawValue) needs --aws-target HOST:PORT") }
        if let keys {
            guard keys >= 1 else { throw ValidationError("--keys must be at least 1") }
            guard keyIDs.isEmpty || keys == keyIDs.count else {
                throw ValidationError("--keys \(keys) does not match the \(keyIDs.count) --key-id given")
            }
        }
    }

    func run() async throws {
        if deprecatedKey != nil {
            FileHandle.standardError.write(Data("kms-bench: --key is deprecated and will be removed; use --cert-key\n".utf8))
        }
        do {
            let options = connectionOptions
            let report = try await Benchmark(
                plan: plan,
                targets: try options.targets(),
                credentials: try options.readableCredentials(),
                callOptions: options.callOptions,
                keyIDs: keyIDs,
                reuseKeys: reuseKeys,
                serverCPU: try serverPID.map { try ServerCPUClock(pid: $0) },
                awsTarget: awsTarget.flatMap(HostPort.init(parsing:))
            ).run()
            print(json ? try report.jsonLine() : report.humanText)
        } catch let failure as BenchFailure {
            FileHandle.standardError.write(Data("kms-bench: \(failure.message)\n".utf8))
            throw ExitCode.failure
        } catch let failure as ConnectionSetupError {
            FileHandle.standardError.write(Data("kms-bench: \(failure)\n".utf8))
            throw ExitCode(ExitStatus.connectionSetup.rawValue)
        }
    }

    /// The connection options, with the old `--key` standing in for `--cert-key`.
    private var connectionOptions: ConnectionOptions {
        var options = connection.options
        options.certKey = options.certKey ?? deprecatedKey
        return options
    }

    private var plan: BenchPlan {
        BenchPlan(
            operation: op,
            connections: connections,
            idleConnections: idleConnections,
            concurrency: concurrency,
            batch: op.isBatch ? batch : 1,
            payload: payload,
            keys: op.usesKeys ? (keyIDs.isEmpty ? keys ?? 1 : keyIDs.count) : 0,
            keyPairSpec: Kms_V1_DataKeyPairSpec(named: keyPairSpecName) ?? .eccNistP256,
            duration: duration,
            warmup: warmup,
            rate: rate
        )
    }
}
