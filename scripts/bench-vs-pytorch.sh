#!/usr/bin/env bash
# CrackSeg.NET against the same model on PyTorch eager, side by side on this machine (issue 18).
#
#   scripts/bench-vs-pytorch.sh [--rounds N] [--warmup N] [--iterations N] [--threads N]
#                               [--only seed|small] [--no-bf16] [--no-build]
#
# 1. Installs from Debian what is missing: python3-torch, and libopenblas0-openmp, whose BLAS the
#    Python process alone loads (Debian's torch links the reference BLAS, 10-20x slower); see
#    ../shared/docs/pytorch-anchor.md. Falls back to `apt-get download` + `dpkg -x` without root.
# 2. Proves the reference (scripts/pytorch_reference/) is our model: golden hybrid outputs within
#    1e-5 and exactly the parameter counts `crackseg model --config` reports. Stops on any mismatch.
# 3. Interleaves, per round and configuration (seed batch 2, small batch 4, 256x256, AdamW, BCE with
#    logits, same threads): ours fp32, PyTorch fp32, ours bf16, PyTorch autocast-bf16; the side that
#    goes first alternates between rounds. One configuration per process.
# 4. Prints per-round figures, per-phase medians of both sides, then one `name: value` line per ratio
#    of medians (ours / PyTorch; > 1 means CrackSeg.NET is faster).
# Environment: CRACKSEG_GOLDEN_DIR (default ../shared/golden), PYTHON (default /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3 warmup=2 iterations=5 threads=2 only="" bf16=1 build=1
while [ $# -gt 0 ]; do
  case "$1" in --rounds|--warmup|--iterations|--threads|--only)
    [ $# -ge 2 ] || { echo "bench-vs-pytorch: $1 needs a value" >&2; exit 2; } ;;
  esac
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --iterations) iterations=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --no-bf16) bf16=0; shift ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "bench-vs-pytorch: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for n in "$rounds" "$warmup" "$iterations" "$threads"; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "bench-vs-pytorch: counts must be whole numbers, got '$n'" >&2; exit 2; }
done
[ "$rounds" -ge 1 ] && [ "$iterations" -ge 1 ] && [ "$threads" -ge 1 ] || { echo "bench-vs-pytorch: --rounds, --iterations and --threads must be >= 1" >&2; exit 2; }
case "$only" in ""|seed|small) ;; *) echo "bench-vs-pytorch: --only expects seed or small, got '$only'" >&2; exit 2 ;; esac
names=(seed small); [ -n "$only" ] && names=("$only")

python=${PYTHON:-/usr/bin/python3}
golden=${CRACKSEG_GOLDEN_DIR:-../shared/golden}
ref=scripts/pytorch_reference
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-vs-pytorch.XXXXXX")
trap 'rm -rf "$work"' EXIT
openblas_cache=artifacts/bench/openblas

# --- 1. what the PyTorch side needs -------------------------------------------------------------
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  else return 1; fi
}

if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "bench-vs-pytorch: installing python3-torch"
  apt_install python3-torch || { echo "bench-vs-pytorch: python3-torch is missing and cannot be installed (needs root or sudo)" >&2; exit 1; }
fi

find_openblas() {
  local d
  for d in /usr/lib/x86_64-linux-gnu/openblas-openmp "$openblas_cache"/usr/lib/x86_64-linux-gnu/openblas-openmp; do
    if compgen -G "$d/libopenblasp-r*.so" >/dev/null || [ -e "$d/libblas.so.3" ]; then echo "$d"; return 0; fi
  done
  return 1
}
if ! blas_dir=$(find_openblas); then
  echo "bench-vs-pytorch: installing libopenblas0-openmp"
  if ! apt_install libopenblas0-openmp; then
    mkdir -p "$openblas_cache"
    (cd "$work" && apt-get download libopenblas0-openmp >/dev/null) && dpkg -x "$work"/libopenblas0-openmp_*.deb "$openblas_cache"
  fi
  blas_dir=$(find_openblas) || { echo "bench-vs-pytorch: could not get libopenblas0-openmp" >&2; exit 1; }
fi
# Only the Python process gets OpenBLAS; the .NET side keeps its own LibTorch untouched.
py() { LD_LIBRARY_PATH="$blas_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads "$python" "$@"; }
blas=$(py -c 'import torch; torch.mm(torch.randn(64, 64), torch.randn(64, 64)); print(open("/proc/self/maps").read())' | grep -o 'libopenblasp[^ ]*\.so' | head -n 1 || true)
[ -n "$blas" ] || { echo "bench-vs-pytorch: the Python process did not load OpenBLAS from $blas_dir (/proc/self/maps); its figures would be 10-20x too slow" >&2; exit 1; }
echo "pytorch: $(py -c 'import torch; print(torch.__version__)') with $blas, $threads threads"

# --- 2. ours, and proof that the reference is the same model ---------------------------------------
dll=src/CrackSeg.Cli/bin/Release/net10.0/linux-x64/crackseg.dll
[ "$build" = 1 ] && dotnet build -c Release src/CrackSeg.Cli -v quiet -nologo >/dev/null
[ -f "$dll" ] || { echo "bench-vs-pytorch: $dll is missing (run without --no-build)" >&2; exit 1; }
ours() { OMP_NUM_THREADS=$threads dotnet "$dll" "$@"; }

# The small configuration as a config file (ModelSpeedBenchmark.Configurations["small"]).
cat > "$work/small.yaml" <<'EOF'
model:
  preset: seed
  embed_dim: 24
  depths: [2, 2, 2, 2]
  num_heads: [1, 2, 4, 8]
  window_size: 8
  aspp_channels: 64
  decoder_channels: [32, 16, 8]
EOF
printf 'model:\n  preset: seed\n' > "$work/seed.yaml"
counts=()
declare -A params=()
for name in seed small; do
  total=$(ours model --config "$work/$name.yaml" 2>/dev/null | awk '/^ *total /{gsub(",", "", $2); print $2}')
  [ -n "$total" ] || { echo "bench-vs-pytorch: crackseg model --config ($name) printed no total" >&2; exit 1; }
  counts+=("$name=$total")
  params[$name]=$total
done
[ -d "$golden" ] || { echo "bench-vs-pytorch: golden fixtures not found at $golden (set CRACKSEG_GOLDEN_DIR)" >&2; exit 1; }
py "$ref/check_parity.py" --golden "$golden" "${counts[@]}" || { echo "bench-vs-pytorch: the PyTorch reference is not the same model; no timing" >&2; exit 1; }

# --- 3. interleaved rounds ------------------------------------------------------------------------
# Two OpenMP threads per side collapse when other work competes for the cores (a forward pass was
# seen 10x slower at load 20 on 2 cores): say so rather than print ratios of noise.
load=$(cut -d' ' -f1 /proc/loadavg) cores=$(nproc)
if awk -v l="$load" -v c="$cores" 'BEGIN { exit !(l > c / 2) }'; then
  echo "bench-vs-pytorch: warning: load average $load on $cores cores; this machine is not idle, the ratios below are unreliable" >&2
fi
[ "$rounds" -ge 3 ] || echo "bench-vs-pytorch: warning: $rounds round(s); the issue's figures need at least 3 (this run only checks the harness)" >&2
tsv=$work/results.tsv
printf 'round\tside\tprecision\tname\tstatus\tforward_img_s\ttrain_img_s\tforward_ms\tbackward_ms\toptimizer_ms\tother_ms\treason\n' > "$tsv"
declare -A unavailable=()

# record ROUND SIDE PRECISION NAME RC OUTPUT-FILE: one TSV row from a `model`/`phases`/`unavailable` output.
record() {
  local round=$1 side=$2 precision=$3 name=$4 rc=$5 out=$6 line phases reason
  line=$(grep -m1 "^model $name: " "$out" || true)
  phases=$(grep -m1 "^phases $name: " "$out" || true)
  if [ "$rc" = 0 ] && [ -n "$line" ]; then
    local fwd train count
    # Both sides time the model whose parameter count `crackseg model` reported (catches a drifted configuration).
    count=$(sed -E 's/^model [a-z]+: ([0-9,]+) params.*/\1/' <<<"$line" | tr -d ,)
    [ "$count" = "${params[$name]}" ] || { echo "bench-vs-pytorch: $side timed $count parameters for $name, crackseg model reports ${params[$name]}" >&2; exit 1; }
    fwd=$(sed -E 's/.*forward ([0-9.]+|NaN|nan) img\/s.*/\1/' <<<"$line")
    train=$(sed -E 's/.*train ([0-9.]+) img\/s.*/\1/' <<<"$line")
    read -r f b o r < <(sed -E 's/.*forward ([0-9.]+) ms, backward ([0-9.]+) ms, optimizer ([0-9.]+) ms, other ([0-9.]+) ms.*/\1 \2 \3 \4/' <<<"$phases")
    printf '%s\t%s\t%s\t%s\tok\t%s\t%s\t%s\t%s\t%s\t%s\t\n' "$round" "$side" "$precision" "$name" "$fwd" "$train" "$f" "$b" "$o" "$r" >> "$tsv"
    echo "  $side $precision $name: $line"
  else
    reason=$(grep -m1 -E "^unavailable $name: |ERROR " "$out" | sed -E "s/^unavailable $name: //; s/.*ERROR +//" | tr '\t' ' ' || true)
    [ -n "$reason" ] || reason="exit code $rc"
    printf '%s\t%s\t%s\t%s\tunavailable\t\t\t\t\t\t\t%s\n' "$round" "$side" "$precision" "$name" "$reason" >> "$tsv"
    echo "  $side $precision $name: unavailable ($reason)"
    unavailable["$side/$precision/$name"]=1
    # Ours refusing bf16 (exit 2) or PyTorch's autocast failing (exit 3) will not change in later rounds.
    if [ "$precision" = fp32 ] || { [ "$rc" != 2 ] && [ "$rc" != 3 ]; }; then
      echo "bench-vs-pytorch: $side $precision $name failed (exit $rc):" >&2; tail -n 20 "$out" >&2; exit 1
    fi
  fi
}

run_side() {  # run_side ROUND SIDE PRECISION NAME
  local round=$1 side=$2 precision=$3 name=$4 out=$work/out.txt rc=0
  [ -n "${unavailable[$side/$precision/$name]:-}" ] && return 0
  if [ "$side" = ours ]; then
    ours bench model --only "$name" --warmup "$warmup" --iterations "$iterations" --phases \
      training.threads="$threads" training.device=cpu training.precision="$precision" >"$out" 2>&1 || rc=$?
  else
    py "$ref/bench_reference.py" --only "$name" --threads "$threads" --warmup "$warmup" --iterations "$iterations" \
      --precision "$precision" --phases $([ "$precision" = bf16 ] && echo --skip-forward) >"$out" 2>&1 || rc=$?
  fi
  record "$round" "$side" "$precision" "$name" "$rc" "$out"
}

precisions=(fp32); [ "$bf16" = 1 ] && precisions+=(bf16)
for ((round = 1; round <= rounds; round++)); do
  echo "round $round/$rounds"
  sides=(ours pytorch); [ $((round % 2)) = 0 ] && sides=(pytorch ours)
  for name in "${names[@]}"; do
    for precision in "${precisions[@]}"; do
      for side in "${sides[@]}"; do run_side "$round" "$side" "$precision" "$name"; done
    done
  done
done

# --- 4. ratios of medians -------------------------------------------------------------------------
mkdir -p artifacts/bench
kept=artifacts/bench/bench-vs-pytorch-$(date -u +%Y%m%dT%H%M%SZ).tsv
cp "$tsv" "$kept.tmp" && mv "$kept.tmp" "$kept"
echo "results: $kept"
"$python" "$ref/summarise.py" "$tsv"
