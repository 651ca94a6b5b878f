#!/usr/bin/env bash
# Regenerates Sources/KMSProto and Sources/SPIFFEWorkloadAPI from proto/. Run after changing
# any .proto file and commit the result: the protoc plugins take minutes to build, so CI
# never runs this.
#
# Needs protoc (Debian: apt-get install protobuf-compiler libprotobuf-dev) and builds
# protoc-gen-swift and protoc-gen-grpc-swift-2 from the versions pinned in
# tools/protoc-plugins/Package.swift into .build-tools/.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v protoc >/dev/null; then
  echo "protoc not found: apt-get install -y protobuf-compiler libprotobuf-dev" >&2
  exit 1
fi

scratch=.build-tools
for plugin in protoc-gen-swift protoc-gen-grpc-swift-2; do
  swift build -c release --package-path tools/protoc-plugins --scratch-path "$scratch" --product "$plugin" >&2
done
bin=$(swift build -c release --package-path tools/protoc-plugins --scratch-path "$scratch" --show-bin-path)

# generate OUT PROTO...: replaces the Swift files in OUT with messages, client and server stubs.
generate() {
  local out=$1
  shift
  mkdir -p "$out"
  find "$out" -name '*.swift' -delete
  protoc \
    --proto_path=proto \
    --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
    --plugin=protoc-gen-grpc-swift="$bin/protoc-gen-grpc-swift-2" \
    --swift_out="$out" --swift_opt=Visibility=Public --swift_opt=FileNaming=PathToUnderscores \
    --grpc-swift_out="$out" --grpc-swift_opt=Visibility=Public --grpc-swift_opt=FileNaming=PathToUnderscores \
    "$@"
  echo "generated: $(ls "$out")"
}

generate Sources/KMSProto kms/v1/kms.proto grpc/health/v1/health.proto google/rpc/status.proto
# The SPIFFE Workload API (vendored, proto/spiffe/README.md) has no proto package, so its
# top-level message names get a module of their own. struct.proto comes from protoc's includes.
generate Sources/SPIFFEWorkloadAPI spiffe/workload/workload.proto
