#!/usr/bin/env bash
# Confirms the CUDA path on a CUDA workstation (NVIDIA driver + the TorchSharp-cuda build):
#  1. `crackseg info` sees CUDA and names the GPU (NVML);
#  2. two epochs of the quickstart on training.device=cuda write a folder whose hardware_info says
#     device "cuda", cuda_available true and the GPU's name;
#  3. GPU vs CPU training-step throughput on the quickstart configuration.
# Usage: scripts/gpu-check.sh            (exit 0 when every check passes)
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "gpu-check: FAIL: $*" >&2; exit 1; }

[ -e /proc/driver/nvidia/version ] || [ -n "${WINDIR:-}" ] || fail "no NVIDIA driver visible (/proc/driver/nvidia/version)"
echo "== build (TorchBackend=cuda)"
dotnet build -c Release -p:TorchBackend=cuda src/CrackSeg.Cli -v quiet -nologo
cli="dotnet src/CrackSeg.Cli/bin/Release/net10.0/linux-x64/crackseg.dll"

echo "== crackseg info"
info=$($cli info)
echo "$info"
grep -q '^cuda_available: true' <<<"$info" || fail "cuda_available is not true (is the cuda build restored? see the trace of: crackseg info)"
gpu=$(sed -n 's/^gpu0: \(.*\), .*/\1/p' <<<"$info")
[ -n "$gpu" ] || fail "NVML reported no GPU name"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== quickstart, 2 epochs on cuda"
$cli train --config configs/quickstart.yaml training.device=cuda training.epochs=2 "experiment.output_dir=$work/exp" logging.progress=plain
summary=$(ls "$work"/exp/*/metrics/complete_summary.json)
grep -q '"device": *"cuda"' "$summary" || fail "hardware_info.device is not cuda in $summary"
grep -q '"cuda_available": *true' "$summary" || fail "hardware_info.cuda_available is not true in $summary"
grep -qF "\"gpu_name\": \"$gpu\"" "$summary" || fail "hardware_info.gpu_name is not '$gpu' in $summary"
$cli artifacts verify "$work"/exp/*

echo "== step time, GPU vs CPU (quickstart config, 3 epochs each)"
for device in cuda cpu; do
  $cli bench train --config configs/quickstart.yaml --epochs 3 "training.device=$device" | sed "s/^/$device: /" | grep -E 'samples_per_s|overhead|syncs_per|uploads_per'
done
echo "gpu-check: OK ($gpu)"
