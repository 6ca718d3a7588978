#!/usr/bin/env bash
# The GPU-name path without LibTorch: checks HardwareInfo (NVML) on a GPU machine that has no .NET and
# whose LibTorch differs from ours, as this workplace's lent GPU machines are. scripts/gpu-check.sh is
# the full check for a CUDA workstation with the TorchSharp-cuda build.
#
#   scripts/gpu-nvml-check.sh prepare [DIR]   (here) publish a self-contained `crackseg` without LibTorch's
#                                             natives (~29 MB .tar.xz) and a small seed-architecture
#                                             experiment into DIR (default .gpucheck, git-ignored)
#   scripts/gpu-nvml-check.sh run [DIR]       (on the GPU machine) checks, exit 0 when all pass:
#     1. `crackseg info --no-torch --hardware-json cuda` names the GPU, memory and driver that nvidia-smi reports;
#     2. the same under CUDA_VISIBLE_DEVICES=<index>, =<UUID>, =<UUID prefix> (the CUDA driver resolves the entry,
#        NVML names the device with the driver's UUID); an entry naming no device gives the only GPU's name,
#        or "unknown CUDA device" when there are several;
#     3. CUDA's own name for device 0 (PyTorch, when installed) equals hardware_info.gpu_name;
#     4. with PyTorch >= 2.4 there: the experiment's checkpoints open with torch.load(weights_only=True)
#        (tests/interop/check_experiment.py against the golden key list).
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-}"
dir="${2:-.gpucheck}"
fail() { echo "gpu-nvml-check: FAIL: $*" >&2; exit 1; }

prepare() {
  local golden="${CRACKSEG_GOLDEN_DIR:-../shared/golden}/crackseg_swinv2_cnn_aspp_unet.keys.txt"
  [ -f "$golden" ] || { echo "gpu-nvml-check: golden key list not found: $golden (set CRACKSEG_GOLDEN_DIR)" >&2; exit 2; }
  rm -rf "$dir" && mkdir -p "$dir"
  local publish work
  publish=$(mktemp -d) work=$(mktemp -d)
  trap 'rm -rf "$publish" "$work"' RETURN
  dotnet publish src/CrackSeg.Cli -c Release -r linux-x64 --self-contained true -o "$publish/crackseg" -v quiet -nologo
  # `info --no-torch` loads no LibTorch: leave its natives (and the reporting ones) behind to fit the 64 MiB transfer.
  (cd "$publish/crackseg" && rm -f libtorch* libc10* libLibTorchSharp* libaoti* libbackend_with* libjitbackend* \
    libnnapi* libshm* libSkiaSharp* libHarfBuzzSharp* ./*.pdb)
  XZ_OPT=-9 tar -C "$publish" -cJf "$dir/crackseg-notorch-linux-x64.tar.xz" crackseg

  # Same state_dict keys as the seed preset (the golden list), a fraction of its size.
  dotnet "$publish/crackseg/crackseg.dll" info --no-torch >/dev/null
  dotnet run --project src/CrackSeg.Cli -c Release --no-launch-profile -- train experiment.name=weights-only \
    "experiment.output_dir=$work/experiments" "data.root=$work/data" data.synthetic.enabled=true data.synthetic.count=12 \
    data.synthetic.width=64 data.synthetic.height=64 data.image_size=64 model.preset=seed model.embed_dim=12 \
    'model.num_heads=[1,2,4,8]' model.aspp_channels=32 'model.decoder_channels=[32,16,8]' \
    training.epochs=1 training.batch_size=2 training.device=cpu logging.progress=plain >/dev/null
  (cd "$work"/experiments/*-weights-only && XZ_OPT=-9 tar -cJf "$OLDPWD/$dir/experiment.tar.xz" .)
  cp "$golden" "$dir/"
  cp tests/interop/check_experiment.py "$dir/"
  du -sh "$dir"/*
}

run() {
  command -v nvidia-smi >/dev/null || fail "nvidia-smi not found: not a GPU machine"
  for f in crackseg-notorch-linux-x64.tar.xz experiment.tar.xz crackseg_swinv2_cnn_aspp_unet.keys.txt check_experiment.py; do
    [ -f "$dir/$f" ] || { echo "gpu-nvml-check: $dir/$f is missing; run 'scripts/gpu-nvml-check.sh prepare $dir' first" >&2; exit 2; }
  done
  local work
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  tar -C "$work" -xJf "$dir/crackseg-notorch-linux-x64.tar.xz"
  mkdir "$work/experiment" && tar -C "$work/experiment" -xJf "$dir/experiment.tar.xz"
  # ICU may be missing on a bare GPU image; nothing checked here depends on culture data.
  export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
  local cli="$work/crackseg/crackseg"

  echo "== nvidia-smi"
  nvidia-smi --query-gpu=index,name,memory.total,driver_version,uuid --format=csv,noheader,nounits | tee "$work/smi.csv"
  echo "== crackseg info --no-torch --hardware-json cuda"
  "$cli" info --no-torch --hardware-json cuda | tee "$work/info.txt"
  for visible in index uuid prefix missing; do
    case $visible in
      index) value=0 ;;
      uuid) value=$(head -1 "$work/smi.csv" | awk -F', ' '{print $5}') ;;
      prefix) value=$(head -1 "$work/smi.csv" | awk -F', ' '{print substr($5, 1, 12)}') ;;
      missing) value=GPU-ffffffff-no-such-gpu ;;
    esac
    CUDA_VISIBLE_DEVICES="$value" "$cli" info --no-torch --hardware-json cuda >"$work/info-$visible.txt"
    echo "CUDA_VISIBLE_DEVICES=$value: $(grep '"gpu_name"' "$work/info-$visible.txt")"
  done

  echo "== compare"
  local status=0
  python3 - "$work" <<'EOF' || status=1
import csv, json, os, sys
work = sys.argv[1]
def hardware(name):
    text = open(os.path.join(work, name)).read()
    return json.loads(text[text.index("hardware_info: ") + len("hardware_info: "):])
rows = [[c.strip() for c in r] for r in csv.reader(open(os.path.join(work, "smi.csv")))]
index, name, mib, driver, uuid = rows[0]
problems = []
def expect(what, got, want):
    ok = got == want
    print(f"{'ok  ' if ok else 'FAIL'} {what}: {got!r}" + ("" if ok else f" (expected {want!r})"))
    if not ok: problems.append(what)
info = open(os.path.join(work, "info.txt")).read()
expect("info gpu0 line", f"gpu0: {name}," in info, True)
expect("info gpu0_uuid", f"gpu0_uuid: {uuid}" in info, True)
hw = hardware("info.txt")
expect("hardware_info.device", hw["device"], "cuda")
expect("hardware_info.cuda_available", hw["cuda_available"], True)
expect("hardware_info.gpu_name", hw["gpu_name"], name)
expect("hardware_info.gpu_memory_total_bytes / MiB", (hw["gpu_memory_total_bytes"] or 0) // 2**20, int(mib))
expect("hardware_info.driver_version", hw["driver_version"], driver)
for visible in ("index", "uuid", "prefix"):
    expect(f"gpu_name under CUDA_VISIBLE_DEVICES={visible}", hardware(f"info-{visible}.txt")["gpu_name"], name)
# An entry NVML cannot resolve (a MIG instance, say) still runs on one of the GPUs: the only one when
# there is one, else no GPU's name may be guessed.
expect("gpu_name under CUDA_VISIBLE_DEVICES naming no NVML GPU", hardware("info-missing.txt")["gpu_name"],
       name if len(rows) == 1 else "unknown CUDA device")
try:
    import torch
    if torch.cuda.is_available():
        expect(f"CUDA's device name (torch {torch.__version__})", torch.cuda.get_device_name(0), hw["gpu_name"])
except ImportError:
    print("skip CUDA's device name: no PyTorch here")
sys.exit(1 if problems else 0)
EOF

  echo "== checkpoints with this machine's PyTorch"
  if python3 -c 'import sys, torch; sys.exit(0 if tuple(int(p) for p in torch.__version__.split(".")[:2]) >= (2, 4) else 1)' 2>/dev/null; then
    python3 "$dir/check_experiment.py" "$work/experiment" "$dir/crackseg_swinv2_cnn_aspp_unet.keys.txt" --keys-only equal || status=1
  else
    echo "skip: no PyTorch >= 2.4 here"
  fi
  [ $status -eq 0 ] || fail "see the lines above"
  echo "gpu-nvml-check: OK"
}

case "$mode" in
  prepare) prepare ;;
  run) run ;;
  *) echo "usage: scripts/gpu-nvml-check.sh prepare|run [DIR]" >&2; exit 2 ;;
esac
