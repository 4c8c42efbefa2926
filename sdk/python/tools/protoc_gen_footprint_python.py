"""A buf `local:` plugin that generates the Python SDK's protobuf and gRPC modules.

grpcio-tools ships protoc and the grpc_python generator as a Python module, not as
plugin binaries buf could call. This plugin speaks buf's plugin protocol: it writes
the request's descriptors to a file, runs `python -m grpc_tools.protoc` on it with
--python_out, --pyi_out and --grpc_python_out, and answers with the files it wrote
plus the packages' empty __init__.py files. Only the schemas the SDK sends are
generated (footprint.event and footprint.collector), so changes to other services'
APIs do not touch the SDK. grpcio-tools is pinned in sdk/python/requirements-dev.txt.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2

# Proto packages (as path prefixes) the SDK needs.
SDK_PROTOS = ("footprint/event/", "footprint/collector/")


def generate(request: plugin_pb2.CodeGeneratorRequest) -> plugin_pb2.CodeGeneratorResponse:
    response = plugin_pb2.CodeGeneratorResponse(
        supported_features=plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    )
    files = [f for f in request.file_to_generate if f.startswith(SDK_PROTOS)]
    if not files:
        return response
    with tempfile.TemporaryDirectory() as tmp:
        descriptors = Path(tmp, "descriptors.binpb")
        descriptors.write_bytes(
            descriptor_pb2.FileDescriptorSet(file=request.proto_file).SerializeToString()
        )
        out = Path(tmp, "out")
        out.mkdir()
        cmd = [
            sys.executable, "-m", "grpc_tools.protoc",
            f"--descriptor_set_in={descriptors}",
            f"--python_out={out}", f"--pyi_out={out}", f"--grpc_python_out={out}",
            *files,
        ]  # fmt: skip
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            response.error = f"grpc_tools.protoc failed: {result.stderr.strip()}"
            return response
        packages: set[Path] = set()
        for path in sorted(p for p in out.rglob("*") if p.is_file()):
            rel = path.relative_to(out)
            response.file.add(name=rel.as_posix(), content=path.read_text())
            # footprint/event/v1/x.py -> footprint/event, footprint/event/v1; the
            # top-level footprint/__init__.py is the SDK's own.
            packages.update(p for p in rel.parents if len(p.parts) >= 2)
        for pkg in sorted(packages):
            response.file.add(name=(pkg / "__init__.py").as_posix(), content="")
    return response


def main() -> None:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    sys.stdout.buffer.write(generate(request).SerializeToString())


if __name__ == "__main__":
    main()
