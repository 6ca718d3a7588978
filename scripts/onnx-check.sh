#!/usr/bin/env bash
# ONNX's own checker on exported models: trains a 1-epoch experiment per preset given (default: nano with the
# CNN stem, seed without it) on a few synthetic images, exports it with `crackseg export`, and runs
# tests/interop/check_onnx.py (onnx.checker.check_model(full_check=True) + strict shape inference) on the file.
# The first preset's file is also predicted by a published build without LibTorch (scripts/onnx-no-libtorch-check.sh).
# Installs Debian's python3-onnx when missing (needs root/apt). Used by .ci/run via scripts/interop-check.sh.
#   bash scripts/onnx-check.sh [preset ...]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! /usr/bin/python3 -c 'import onnx' 2>/dev/null; then
  echo "onnx-check: installing python3-onnx"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends python3-onnx >/dev/null
fi
presets=("$@"); [ ${#presets[@]} -gt 0 ] || presets=(nano seed)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dotnet build -c Release src/CrackSeg.Cli -v quiet -nologo >/dev/null
cli="dotnet src/CrackSeg.Cli/bin/Release/net10.0/linux-x64/crackseg.dll"
for preset in "${presets[@]}"; do
  $cli train "experiment.name=onnx-$preset" "experiment.output_dir=$work/experiments" \
    "data.root=$work/data" data.synthetic.enabled=true data.synthetic.count=8 data.synthetic.width=64 data.synthetic.height=64 \
    data.image_size=64 "model.preset=$preset" training.epochs=1 training.batch_size=2 training.device=cpu logging.progress=plain >/dev/null
  folder=$(ls -d "$work"/experiments/*-"onnx-$preset")
  # 128 px: a multiple of every preset's window period at image_size 64 (64 px).
  $cli export --experiment "$folder" --checkpoint last --size 128
  /usr/bin/python3 tests/interop/check_onnx.py "$folder/export/model.onnx"
  # Once: the published build predicts with this file after LibTorch's natives are deleted.
  if [ "$preset" = "${presets[0]}" ]; then bash scripts/onnx-no-libtorch-check.sh "$folder/export/model.onnx" "$work/data/images"; fi
done
