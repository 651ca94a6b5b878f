#!/usr/bin/env bash
# Writes the gRPC server reflection descriptors in proto/grpc/reflection/ (see the README
# there). Run once when changing their source versions, then run tools/generate-proto.sh and
# commit both; neither CI nor generate-proto.sh runs this.
#
# - v1alpha: the serialized FileDescriptorProto that PyPI's grpcio-reflection embeds in
#   grpc_reflection/v1alpha/reflection_pb2.py, taken byte for byte (read with Python's ast,
#   nothing imported from the wheel). grpcio-reflection ships no v1.
# - v1: grpc/reflection/v1/reflection.proto from Debian's grpc-proto package, compiled
#   with protoc (no source info, like the v1alpha descriptor).
#
# Needs pip, apt-get (run `apt-get update` once first), dpkg-deb, python3 and protoc.
set -euo pipefail
cd "$(dirname "$0")/.."

reflection_version=1.85.1
grpc_proto_version=0.0~git20230110.6956c0e-1
out=proto/grpc/reflection
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
  --dest "$work" "grpcio-reflection==$reflection_version" >&2
(cd "$work" && apt-get download "grpc-proto=$grpc_proto_version" >&2)
dpkg-deb -x "$work"/grpc-proto_*.deb "$work/deb"

mkdir -p "$out/v1" "$out/v1alpha"
python3 - "$work"/grpcio_reflection-*.whl "$out/v1alpha/reflection.protoset" <<'EOF'
import ast, sys, zipfile

wheel, target = sys.argv[1], sys.argv[2]
source = zipfile.ZipFile(wheel).read("grpc_reflection/v1alpha/reflection_pb2.py").decode()
calls = [node for node in ast.walk(ast.parse(source))
         if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "AddSerializedFile"]
assert len(calls) == 1, "expected one AddSerializedFile call"
file_descriptor = ast.literal_eval(calls[0].args[0])
assert isinstance(file_descriptor, bytes)

def varint(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)

# FileDescriptorSet { repeated FileDescriptorProto file = 1; } with the one file.
with open(target, "wb") as f:
    f.write(b"\x0a" + varint(len(file_descriptor)) + file_descriptor)
EOF
protoc --proto_path="$work/deb/usr/share/grpc-proto" --descriptor_set_out="$out/v1/reflection.protoset" \
  grpc/reflection/v1/reflection.proto
echo "wrote: $out/v1alpha/reflection.protoset $out/v1/reflection.protoset"
