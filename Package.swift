// swift-tools-version:6.1
import Foundation
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "swift-kms",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kmsd", targets: ["kmsd"]),
        .executable(name: "kmsctl", targets: ["kmsctl"]),
        .library(name: "KMSClient", targets: ["KMSClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/vapor/sqlite-nio", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // The release version and the git commit a binary was built from.
        .target(name: "KMSBuildInfo", swiftSettings: strictSettings, plugins: ["GitCommitPlugin"]),
        .plugin(name: "GitCommitPlugin", capability: .buildTool()),
        // Domain types shared by every layer; no I/O.
        .target(name: "KMSCore", swiftSettings: strictSettings),
        // Envelope crypto: ciphertext blobs, key wrapping, secret bytes; no I/O.
        .target(
            name: "KMSCrypto",
            dependencies: [
                "KMSCore", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // The audit trail: hash-chained JSON Lines files with group commit, an index, verification.
        .target(
            name: "KMSAudit",
            dependencies: [
                "KMSCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // IAM-shaped policy documents, compiled once and evaluated without I/O.
        .target(name: "KMSPolicy", dependencies: ["KMSCore"], swiftSettings: strictSettings),
        // X.509 client certificate → principal; no I/O.
        .target(
            name: "KMSIdentity",
            dependencies: [
                "KMSCore",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strictSettings
        ),
        // The TLS edge's certificate logic: client-certificate verification (SPIFFE trust
        // domains bound to their bundles, CRLs, key usage) and forwarded client certificates
        // (XFCC); no sockets (the listener and reloading live in KMSServer/TLS).
        .target(
            name: "KMSTLS",
            dependencies: [
                "KMSCore", "KMSIdentity",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // A throwaway certificate authority for dev mode and tests.
        .target(
            name: "KMSDevPKI",
            dependencies: [
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strictSettings
        ),
        // The key store protocol and the types it stores; no I/O.
        .target(name: "KMSStorage", dependencies: ["KMSCore"], swiftSettings: strictSettings),
        // The embedded key store: one SQLite file (kmsd dev, single-node kmsd serve).
        .target(
            name: "KMSStorageSQLite",
            dependencies: [
                "KMSCore", "KMSStorage",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The shared key store: several kmsd nodes on one PostgreSQL database.
        .target(
            name: "KMSStoragePostgres",
            dependencies: [
                "KMSCore", "KMSStorage",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Test support: a fresh database per test on the PostgreSQL server the tests are given.
        .target(
            name: "KMSPostgresTestSupport",
            dependencies: [
                "KMSCore", "KMSStorage", "KMSStoragePostgres", "KMSStorageConformance",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Test support: the conformance checks every KeyStore backend passes, unchanged.
        .target(name: "KMSStorageConformance", dependencies: ["KMSCore", "KMSStorage"], swiftSettings: strictSettings),
        // The operations: authorize → store → crypto. Transport-agnostic.
        .target(
            name: "KMSService",
            dependencies: [
                "KMSCore", "KMSCrypto", "KMSPolicy", "KMSStorage", "KMSAudit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // Generated from proto/ by tools/generate-proto.sh; nothing hand-written.
        .target(
            name: "KMSProto",
            dependencies: [
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            ]
        ),
        // The SPIFFE Workload API, generated from proto/spiffe by tools/generate-proto.sh; nothing hand-written.
        .target(
            name: "SPIFFEWorkloadAPI",
            dependencies: [
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            ]
        ),
        // gRPC server reflection (v1, v1alpha) and the descriptors kmsd serves, generated from
        // proto/grpc/reflection and proto/ by tools/generate-proto.sh; nothing hand-written.
        .target(
            name: "GRPCReflectionProto",
            dependencies: [
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            ]
        ),
        // Workload API client: the X.509-SVID and trust bundles from a SPIFFE agent's socket, kept current.
        .target(
            name: "KMSWorkloadAPI",
            dependencies: [
                "SPIFFEWorkloadAPI",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Test support: a fake Workload API server on a unix socket that issues and rotates SVIDs.
        .target(
            name: "KMSWorkloadAPITestSupport",
            dependencies: [
                "SPIFFEWorkloadAPI", "KMSDevPKI",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // The Workload API client against the fake server: rotation, bundles, reconnects, refusals.
        .testTarget(
            name: "KMSWorkloadAPITests",
            dependencies: [
                "KMSWorkloadAPI", "KMSWorkloadAPITestSupport", "SPIFFEWorkloadAPI", "KMSDevPKI",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // gRPC adapter: TLS, identity, config, proto ⇄ domain, error mapping.
        .target(
            name: "KMSServer",
            dependencies: [
                "KMSCore", "KMSService", "KMSIdentity", "KMSProto", "KMSPolicy", "KMSCrypto", "KMSStorage",
                "KMSStorageSQLite", "KMSStoragePostgres", "KMSDevPKI", "KMSAudit", "KMSTLS", "KMSWorkloadAPI", "KMSBuildInfo",
                "GRPCReflectionProto",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "GRPCInProcessTransport", package: "grpc-swift-2"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Typed client and the streaming envelope file format.
        .target(
            name: "KMSClient",
            dependencies: [
                "KMSCore", "KMSProto",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSettings
        ),
        // The command-line options kmsctl and kms-bench share (server, credentials, timeout).
        .target(
            name: "KMSCommandLine",
            dependencies: ["KMSClient", "KMSCore", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "kmsd",
            dependencies: [
                "KMSServer", "KMSBuildInfo",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "kmsctl",
            dependencies: [
                "KMSClient", "KMSCommandLine", "KMSProto", "KMSPolicy", "KMSCore", "KMSAudit", "KMSBuildInfo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // Load generator: drives a running kmsd over mTLS from another process (docs/PERFORMANCE.md).
        .executableTarget(
            name: "kms-bench",
            dependencies: [
                "KMSClient", "KMSCommandLine", "KMSProto", "KMSCore",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        // In-process benchmarks of the policy engine and the crypto core (docs/PERFORMANCE.md).
        .executableTarget(
            name: "kms-microbench",
            dependencies: [
                "KMSCore", "KMSCrypto", "KMSPolicy", "KMSAudit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "KMSCoreTests", dependencies: ["KMSCore"], swiftSettings: strictSettings),
        .testTarget(
            name: "KMSCryptoTests",
            dependencies: ["KMSCrypto", "KMSCore", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Resources")],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "KMSPolicyTests", dependencies: ["KMSPolicy", "KMSCore"], swiftSettings: strictSettings),
        .testTarget(
            name: "KMSIdentityTests",
            dependencies: ["KMSIdentity", "KMSDevPKI", "KMSCore", .product(name: "X509", package: "swift-certificates")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KMSAuditTests",
            dependencies: [
                "KMSAudit", "KMSCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KMSTLSTests",
            dependencies: [
                "KMSTLS", "KMSDevPKI", "KMSCore", "KMSIdentity",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "KMSStorageTests", dependencies: ["KMSStorage", "KMSCore"], swiftSettings: strictSettings),
        .testTarget(
            name: "KMSStorageSQLiteTests",
            dependencies: [
                "KMSStorageSQLite", "KMSStorage", "KMSStorageConformance", "KMSCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KMSStoragePostgresTests",
            dependencies: [
                "KMSStoragePostgres", "KMSStorage", "KMSStorageConformance", "KMSPostgresTestSupport", "KMSCore", "KMSDevPKI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KMSServiceTests",
            dependencies: ["KMSService", "KMSStorage", "KMSStorageSQLite", "KMSCrypto", "KMSPolicy", "KMSCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KMSClientTests",
            dependencies: [
                "KMSClient", "KMSCommandLine", "KMSCore", "KMSProto",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KMSServerTests",
            dependencies: [
                "KMSServer", "KMSClient", "KMSProto", "KMSDevPKI", "KMSCore", "KMSCrypto", "KMSAudit", "KMSStorage",
                "KMSStorageSQLite", "KMSStoragePostgres", "KMSPostgresTestSupport", "KMSStorageConformance", "KMSService",
                "KMSTLS", "KMSWorkloadAPITestSupport", "GRPCReflectionProto", "KMSIdentity",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: strictSettings
        ),
    ]
)

// libFuzzer targets (docs/TESTING.md), one per parser of outside bytes, and the program that
// writes their seed corpora. They exist only with KMS_FUZZ=1, which tools/fuzz.sh sets for its
// own build in .build-fuzz (-sanitize=fuzzer,address: libFuzzer provides their main), so
// ordinary builds and `swift test` never see them.
if ProcessInfo.processInfo.environment["KMS_FUZZ"] == "1" {
    func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
        .executableTarget(name: name, dependencies: ["FuzzSupport"] + dependencies, swiftSettings: strictSettings)
    }
    package.targets += [
        .target(name: "FuzzSupport", swiftSettings: strictSettings),
        fuzzTarget("FuzzCiphertextBlob", ["KMSCrypto", "KMSCore"]),
        fuzzTarget("FuzzEnvelopeFile", ["KMSClient", "KMSCore", .product(name: "Crypto", package: "swift-crypto")]),
        fuzzTarget("FuzzPolicy", ["KMSPolicy", "KMSCore"]),
        fuzzTarget("FuzzServerConfiguration", ["KMSServer"]),
        fuzzTarget("FuzzCertificateIdentity", [
            "KMSIdentity", "KMSCore", .product(name: "X509", package: "swift-certificates"),
        ]),
        fuzzTarget("FuzzForwardedClientCertificate", ["KMSTLS"]),
        fuzzTarget("FuzzCertificateRevocationList", [
            "KMSTLS", "KMSDevPKI", .product(name: "X509", package: "swift-certificates"),
        ]),
        fuzzTarget("FuzzAuditLine", ["KMSAudit"]),
        fuzzTarget("FuzzRequestMessages", [
            "KMSServer", "KMSService", "KMSProto", "KMSCore", "KMSCrypto", "KMSPolicy", "KMSStorageSQLite",
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(
            name: "FuzzSeeds",
            dependencies: [
                "KMSAudit", "KMSClient", "KMSCore", "KMSCrypto", "KMSDevPKI", "KMSPolicy", "KMSProto", "KMSServer",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: strictSettings
        ),
    ]
}
