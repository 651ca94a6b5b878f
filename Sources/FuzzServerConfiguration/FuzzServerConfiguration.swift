import Foundation
import FuzzSupport
import KMSServer

// Fuzz target: the YAML configuration (docs/CONFIGURATION.md), as `kmsd serve --config FILE`
// reads it. `ServerConfiguration.parse(yaml:relativeTo:environment:)` reads no file: paths are
// only resolved against `base`, and the environment is passed in.
//
// Properties, for any text:
// - `parse` never crashes (Yams, the configuration tree, every section's reader);
// - a failure carries a message for the operator (non-empty description);
// - a configuration that parses has absolute data directory and root key paths (relative ones
//   are resolved against the absolute base), and its settings are within their documented
//   ranges: the jobs interval, the shutdown grace period and the connection limits.

private let base = "/fuzz/config"
private let environments: [[String: String]] = [
    [:],
    ["SPIFFE_ENDPOINT_SOCKET": "unix:///run/spire/agent.sock"],
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzServerConfiguration(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
    for environment in environments {
        let configuration: ServerConfiguration
        do {
            configuration = try ServerConfiguration.parse(yaml: text, relativeTo: base, environment: environment)
        } catch {
            Fuzz.require(!String(describing: error).isEmpty, "a configuration error without a message")
            continue
        }
        Fuzz.require(configuration.dataDirectory.hasPrefix("/"), "data_dir \(configuration.dataDirectory) is not absolute")
        Fuzz.require(configuration.rootKeyFile.hasPrefix("/"), "root_key_file \(configuration.rootKeyFile) is not absolute")
        Fuzz.require(ServerConfiguration.Jobs.intervalSecondsRange.contains(configuration.jobs.intervalSeconds),
                     "jobs interval \(configuration.jobs.intervalSeconds) out of range")
        Fuzz.require(ServerConfiguration.Shutdown.graceSecondsRange.contains(configuration.shutdown.graceSeconds),
                     "shutdown grace \(configuration.shutdown.graceSeconds) out of range")
        let limits = configuration.limits
        Fuzz.require((1...300).contains(limits.handshakeTimeoutSeconds), "handshake timeout \(limits.handshakeTimeoutSeconds)")
        Fuzz.require((1...86_400).contains(limits.idleTimeoutSeconds), "idle timeout \(limits.idleTimeoutSeconds)")
        Fuzz.require((1...1_000_000).contains(limits.maxConnections), "max connections \(limits.maxConnections)")
        Fuzz.require((1...65_535).contains(limits.maxConcurrentStreams), "max streams \(limits.maxConcurrentStreams)")
        Fuzz.require((1...86_400).contains(limits.keepaliveIntervalSeconds), "keepalive interval \(limits.keepaliveIntervalSeconds)")
        Fuzz.require((1...3600).contains(limits.keepaliveTimeoutSeconds), "keepalive timeout \(limits.keepaliveTimeoutSeconds)")
    }
    return 0
}
