#!/usr/bin/env bash
# Interop with the real thing: train a 1-epoch seed-preset experiment (key-identical with the Python
# crackseg model) on a few synthetic images, then open its checkpoints and metric files with PyTorch
# and PyYAML (tests/interop/check_experiment.py); then read it, and a fresh quickstart folder, the way
# the Python project's reporting/evaluation modules do (tests/interop/check_python_readers.py: no
# missing or zero-defaulted value, checkpoints found by name, ModelLoader's view of the checkpoint).
# Needs /usr/bin/python3 with torch and yaml (Debian: apt-get install python3-torch python3-yaml).
# Used by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
golden="${CRACKSEG_GOLDEN_DIR:-../shared/golden}/crackseg_swinv2_cnn_aspp_unet.keys.txt"
[ -f "$golden" ] || { echo "interop-check: golden key list not found: $golden" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dotnet build -c Release src/CrackSeg.Cli -v quiet -nologo >/dev/null
cli="dotnet src/CrackSeg.Cli/bin/Release/net10.0/linux-x64/crackseg.dll"
$cli train experiment.name=interop "experiment.output_dir=$work/experiments" \
  "data.root=$work/data" data.synthetic.enabled=true data.synthetic.count=12 data.synthetic.width=64 data.synthetic.height=64 \
  data.image_size=64 model.preset=seed training.epochs=1 training.batch_size=2 training.device=cpu logging.progress=plain
folder=$(ls -d "$work"/experiments/*-interop)
$cli artifacts verify "$folder"
/usr/bin/python3 tests/interop/check_experiment.py "$folder" "$golden"
/usr/bin/python3 tests/interop/check_python_readers.py "$folder" --golden-keys "$golden"

# The quickstart as a user runs it (2 of its 8 epochs, to keep CI short), read as the Python modules read it.
$cli train --config configs/quickstart.yaml "experiment.output_dir=$work/experiments" "data.root=$work/quickstart-data" \
  training.epochs=2 training.device=cpu logging.progress=plain
quickstart=$(ls -d "$work"/experiments/*-quickstart)
$cli artifacts verify "$quickstart"
/usr/bin/python3 tests/interop/check_python_readers.py "$quickstart"

# The exported ONNX graph through ONNX's own checker and strict shape inference (installs python3-onnx).
bash scripts/onnx-check.sh nano seed
