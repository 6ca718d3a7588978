#!/usr/bin/env bash
# `predict --model FILE.onnx` from a published build whose LibTorch natives are deleted: the ONNX Runtime path
# must not need them. Publishes the CLI, removes libtorch*/libc10/libLibTorchSharp/libgomp (and LibTorch's
# test/backend libraries), then predicts with an exported model and checks the three outputs per image.
#   bash scripts/onnx-no-libtorch-check.sh MODEL.onnx IMAGE_OR_FOLDER
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: $0 MODEL.onnx IMAGE_OR_FOLDER" >&2; exit 2; }
model=$(realpath "$1"); input=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet publish src/CrackSeg.Cli -c Release -o "$work/crackseg" -v quiet -nologo >/dev/null
removed=$(cd "$work/crackseg" && ls | grep -E '^lib(torch|c10|LibTorchSharp|gomp|shm|aoti|jitbackend|backend_with|nnapi)' || true)
[ -n "$removed" ] || { echo "onnx-no-libtorch-check: found no LibTorch natives to remove in the publish output" >&2; exit 1; }
(cd "$work/crackseg" && rm -f $removed)
echo "onnx-no-libtorch-check: removed $(echo "$removed" | wc -l) LibTorch libraries: $(echo $removed)"
dotnet "$work/crackseg/crackseg.dll" predict --model "$model" --input "$input" --output "$work/out"
count=$(ls "$work/out" | grep -c '_mask.png$' || true)
[ "$count" -gt 0 ] || { echo "onnx-no-libtorch-check: no masks written" >&2; exit 1; }
for f in "$work"/out/*_mask.png; do
  stem=${f%_mask.png}
  [ -s "${stem}_prob.png" ] && [ -s "${stem}_overlay.png" ] || { echo "onnx-no-libtorch-check: missing outputs for $stem" >&2; exit 1; }
done
# The torch path in the same build must fail: proof that the natives are really gone.
if dotnet "$work/crackseg/crackseg.dll" info >/dev/null 2>&1; then
  echo "onnx-no-libtorch-check: 'info' still loads LibTorch: the natives were not removed" >&2; exit 1
fi
echo "onnx-no-libtorch-check: OK ($count images predicted without LibTorch)"
