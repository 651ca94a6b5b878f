// swift-tools-version:6.1
// Builds the protoc plugins used by tools/generate-proto.sh. Kept apart from the
// main package so that the slow plugin build never touches the server's build.
import PackageDescription

let package = Package(
    name: "protoc-plugins",
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", exact: "2.4.1"),
    ]
)
