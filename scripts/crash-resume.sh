#!/usr/bin/env bash
# Crash/resume torture test (issue 8).
#
#   scripts/crash-resume.sh [WORKDIR]
#
# 1. Trains a reduced quickstart once, uninterrupted (the reference).
# 2. Trains it again, killing the process with SIGKILL at CRASH_KILLS (5) random moments — during a
#    training step, during validation, during a checkpoint write (the process is frozen with SIGSTOP
#    while a checkpoint temp file exists, so the kill provably lands mid-write) — and resuming each
#    time with `crackseg train --resume DIR`, until the run completes.
# 3. Compares the per-epoch metrics (metrics.jsonl without timestamp, epoch_time_s, samples_per_s)
#    and the best_model.pth / newest epoch checkpoint tensors bit for bit with the reference
#    (scripts/compare_runs.py, PyTorch), and runs `crackseg artifacts verify` on every folder,
#    also right after every kill.
# 4. Write failures while saving a checkpoint: an immutable checkpoints/ folder (chattr +i) and a
#    full disk (a small tmpfs), each must stop the run with a clear error naming the file, exit code
#    1, leave the previous checkpoint byte-identical and resumable; the resumed run must still end
#    identical to the reference.
#
# Bit-for-bit equality is a CPU guarantee (in every precision mode: fp32, bf16, fp16 with its loss scaler).
# On CUDA a resumed run continues correctly (same epoch, step, LR, optimizer and scaler state) but not bit for
# bit: atomic-add backward kernels (bilinear upsampling, index_select) and cuDNN's algorithm choice are not
# deterministic, and TorchSharp 0.107 cannot switch LibTorch to deterministic algorithms.
#
# Environment: CRASH_PRECISION (training.precision: fp32 (default), bf16 or fp16), CRASH_SEED (kill timing; printed), CRASH_KILLS (5), PYTHON (/usr/bin/python3 with
# torch), CRASH_REBUILD=1 to rebuild the CLI, CRASH_KEEP=1 to keep the temp work dir of a passing run
# (a WORKDIR argument is always kept). Needs root for the write-failure cases (chattr, mount);
# they are skipped with a note otherwise. Exit 0 when every check passed.
set -uo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.."

DLL=src/CrackSeg.Cli/bin/Release/net10.0/linux-x64/crackseg.dll
PY=${PYTHON:-/usr/bin/python3}
if [ ! -f "$DLL" ] || [ "${CRASH_REBUILD:-0}" = 1 ]; then
  dotnet build src/CrackSeg.Cli -c Release -nologo -v q >/dev/null || { echo "build failed"; exit 1; }
fi
CLI=(dotnet "$DLL")
if [ -n "${1:-}" ]; then mkdir -p "$1" && WORK=$(cd "$1" && pwd); else WORK=$(mktemp -d "${TMPDIR:-/tmp}/crackseg-crash.XXXXXX"); fi
TEMP_WORK=$([ -z "${1:-}" ] && [ "${CRASH_KEEP:-0}" != 1 ] && echo 1)
cleanup() { # EXIT_CODE: no trainer, mount or immutable folder left behind; a passing run's temp dir goes
  [ -n "${PID:-}" ] && kill -KILL "$PID" 2>/dev/null
  mountpoint -q "$WORK/full" 2>/dev/null && umount "$WORK/full"
  for d in "$WORK"/readonly/*/checkpoints; do chattr -i "$d" 2>/dev/null; done
  if [ "$1" = 0 ] && [ -n "$TEMP_WORK" ]; then rm -rf "$WORK"; fi
}
trap 'cleanup $?' EXIT
SEED=${CRASH_SEED:-$(( $(date +%s) % 32768 ))}
RANDOM=$SEED
KILLS=${CRASH_KILLS:-5}
EPOCHS=4
CONFIG=configs/quickstart.yaml
ARGS=(--config "$CONFIG" training.epochs=$EPOCHS data.synthetic.count=48 data.image_size=64 logging.log_every=1
      "data.root=$WORK/data" "training.precision=${CRASH_PRECISION:-fp32}")
FAILED=0
fail() { echo "FAIL: $*"; FAILED=$((FAILED + 1)); }

exec {TICK}<> <(:)                       # `read -t` on an idle pipe: a sleep without a process
nap() { read -rt "$1" -u "$TICK" || true; }
rand_between() { awk -v a="$1" -v b="$2" -v r=$RANDOM 'BEGIN { printf "%.2f", a + (b - a) * r / 32767 }'; }
experiment_of() { local d=("$1"/*-quickstart); [ ${#d[@]} -gt 0 ] && echo "${d[0]}"; }
verify() { # DIR LABEL
  local out rc
  out=$("${CLI[@]}" artifacts verify "$1" 2>&1); rc=$?
  echo "  verify ($2): exit $rc"; echo "$out" | sed 's/^/    | /'
  return $rc
}

echo "crash-resume: work dir $WORK, CRASH_SEED=$SEED, $KILLS kills"
echo "== 1. reference run (uninterrupted)"
start=$(date +%s)
"${CLI[@]}" train "${ARGS[@]}" "experiment.output_dir=$WORK/reference" >"$WORK/reference.out" 2>&1 \
  || { cat "$WORK/reference.out"; echo "FAIL: the reference run failed"; exit 1; }
REF=$(experiment_of "$WORK/reference")
echo "  $REF ($(( $(date +%s) - start )) s)"

# --- one crashing session: start (or resume) in the background, kill at the chosen moment ---------
PID=""; LANDED=""
launch() { # LOG [--resume DIR]
  local log=$1; shift
  "${CLI[@]}" train "${ARGS[@]}" "experiment.output_dir=$WORK/crashed" "$@" >"$log" 2>&1 &
  PID=$!
}
alive() { kill -0 "$PID" 2>/dev/null; }
lines() { local c; c=$(grep -cE "$2" "$1" 2>/dev/null); echo "${c:-0}"; }
wait_line() { # LOG REGEX [COUNT] [POLL]: until COUNT lines match (the process must stay alive)
  while [ "$(lines "$1" "$2")" -lt "${3:-1}" ]; do alive || return 1; nap "${4:-0.05}"; done
}
current_epoch() { grep -oE "epoch [0-9]+/$EPOCHS" "$1" | tail -1 | sed -E 's/epoch ([0-9]+).*/\1/'; }
last_progress() { grep -E "INFO  (epoch [0-9]+/[0-9]+|saved|resumed|experiment folder)" "$1" | tail -1 | sed 's/^.*INFO  //'; }

# Each kill targets an epoch (the first one the session runs at the earliest) and a phase of it.
first_epoch() { # LOG: the first epoch this session runs
  wait_line "$1" "training batches$" || return 1
  grep -m1 -oE "epoch [0-9]+/" "$1" | grep -oE "[0-9]+"
}
# An epoch of the quickstart takes about a second and its validation a tenth of one, so a kill is aimed at
# a log line, the process is frozen, and it is killed only if it is still where the kill was aimed (else
# it continues and the next epoch is tried): every kill lands in the phase its label names.
freeze_and_kill_if() { # LOG DESCRIPTION CHECK...: freeze; kill if the command CHECK... succeeds, else resume
  local log=$1 description=$2; shift 2
  kill -STOP "$PID" 2>/dev/null || return 1
  if "$@"; then
    LANDED="$description -- last log line: \"$(last_progress "$log")\""
    kill -KILL "$PID"; return 0
  fi
  kill -CONT "$PID"; return 1
}
in_training_step() { # LOG EPOCH BATCHES: the last line is a batch of EPOCH other than its last
  last_progress "$1" | grep -E "^epoch $2/$EPOCHS batch [0-9]+/$3 " | grep -qvE "batch $3/$3 "
}
in_validation() { # LOG EPOCH DIR: the validation of EPOCH is logged as started, its checkpoint not yet begun
  local tmps=("$3"/checkpoints/.*.tmp)
  last_progress "$1" | grep -qE "^epoch $2/$EPOCHS: validating" && [ ! -e "$3/checkpoints/epoch_$2.pth" ] && [ ${#tmps[@]} -eq 0 ]
}
kill_in_step() { # LOG EPOCH: inside a random training step of EPOCH (or of a later one)
  local e n b
  for ((e = $2; e <= EPOCHS; e++)); do
    wait_line "$1" "epoch $e/$EPOCHS: [0-9]+ training batches$" 1 0.005 || return 1
    n=$(grep -m1 -oE "epoch $e/$EPOCHS: [0-9]+ training batches" "$1" | sed -E 's/.*: ([0-9]+) training.*/\1/')
    b=$((RANDOM % (n - 1) + 1))            # once batch b is logged, step b+1 runs
    wait_line "$1" "epoch $e/$EPOCHS batch $b/$n " 1 0.005 || return 1
    nap "$(rand_between 0 0.03)"
    freeze_and_kill_if "$1" "epoch $e, training step" in_training_step "$1" "$e" "$n" && return 0
  done
  return 1
}
kill_in_validation() { # LOG EPOCH DIR: after the last training step of EPOCH (or of a later one), before its checkpoint
  local e
  for ((e = $2; e <= EPOCHS; e++)); do
    wait_line "$1" "epoch $e/$EPOCHS: validating" 1 0.002 || return 1
    nap "$(rand_between 0 0.02)"
    freeze_and_kill_if "$1" "epoch $e, validation" in_validation "$1" "$e" "$3" && return 0
  done
  return 1
}
kill_in_checkpoint_write() { # LOG EPOCH DIR: freeze while a checkpoint temp file exists, kill if it still does
  local log=$1 dir=$3 f tmps still
  wait_line "$log" "epoch $2/$EPOCHS: validating" || return 1
  while alive; do
    tmps=("$dir"/checkpoints/.*.tmp "$dir"/.best_model.pth.*.tmp)
    if [ ${#tmps[@]} -gt 0 ]; then
      nap "$(rand_between 0 0.004)"       # somewhere inside the write (~10 ms for the nano checkpoint), not always at its first byte
      kill -STOP "$PID" 2>/dev/null || break
      still=(); for f in "${tmps[@]}"; do [ -e "$f" ] && still+=("$f"); done
      if [ ${#still[@]} -gt 0 ]; then
        f=${still[0]}
        LANDED="epoch $(current_epoch "$log"), checkpoint write: ${f#"$dir"/} holds $(stat -c %s "$f") bytes -- last log line: \"$(last_progress "$log")\""
        kill -KILL "$PID"
        return 0
      fi
      kill -CONT "$PID"
    fi
    nap 0.001
  done
  return 1
}

echo "== 2. crashing run: $KILLS SIGKILLs, each followed by --resume"
# Phases: one of each, the rest drawn at random, shuffled; target epochs rise 1 .. EPOCHS over the kills.
PHASES=(step validation checkpoint)
while [ ${#PHASES[@]} -lt "$KILLS" ]; do PHASES+=("$(printf '%s\n' step validation checkpoint | sed -n "$((RANDOM % 3 + 1))p")"); done
for ((i = ${#PHASES[@]} - 1; i > 0; i--)); do j=$((RANDOM % (i + 1))); t=${PHASES[i]}; PHASES[i]=${PHASES[j]}; PHASES[j]=$t; done
CRASHED=""; session=0; kills=0
for phase in "${PHASES[@]}"; do
  session=$((session + 1)); log="$WORK/crashed-$session.out"
  if [ -z "$CRASHED" ]; then launch "$log"; else launch "$log" --resume "$CRASHED"; fi
  if [ -z "$CRASHED" ]; then # the folder appears at start-up
    wait_line "$log" "experiment folder: " || { cat "$log"; fail "session $session exited before creating its folder"; break; }
    CRASHED=$(experiment_of "$WORK/crashed")
  fi
  LANDED=""
  target=$((1 + session * EPOCHS / (KILLS + 1)))
  if first=$(first_epoch "$log"); then
    [ "$target" -ge "$first" ] || target=$first
    case $phase in
      step) kill_in_step "$log" "$target" ;;
      validation) kill_in_validation "$log" "$target" "$CRASHED" ;;
      checkpoint) kill_in_checkpoint_write "$log" "$target" "$CRASHED" ;;
    esac
  fi
  wait "$PID" 2>/dev/null; rc=$?
  if [ -z "$LANDED" ]; then
    echo "  session $session: the run ended (exit $rc) before a $phase kill could land"; tail -3 "$log"
    [ "$rc" = 0 ] && break || { fail "session $session exited with $rc"; break; }
  fi
  kills=$((kills + 1))
  resumed=$(grep -oE "resumed from .*: epoch [0-9]+" "$log" | sed 's/.*\(epoch [0-9]*\)/\1/' || true)
  echo "  kill $kills (session $session, ${resumed:+resumed after $resumed, }exit $rc): $LANDED"
  # Informational: the state a kill leaves before any repair (the next --resume repairs it first).
  if verify "$CRASHED" "right after kill $kills" >"$WORK/verify-kill-$kills.txt" 2>&1; then
    echo "    verify right after the kill: valid"
  else
    echo "    verify right after the kill (before the resume repairs it):"; grep -E '^    \|   - ' "$WORK/verify-kill-$kills.txt" | sed 's/^    |   - /      - /'
  fi
done
session=$((session + 1))
"${CLI[@]}" train "${ARGS[@]}" "experiment.output_dir=$WORK/crashed" --resume "$CRASHED" >"$WORK/crashed-$session.out" 2>&1 \
  || { tail -20 "$WORK/crashed-$session.out"; fail "the final resume failed"; }
echo "  final resume (session $session): $(grep -oE "resumed from .*: epoch [0-9]+" "$WORK/crashed-$session.out" | sed 's/.*\(epoch [0-9]*\)/resumed after \1/'), ran to the end"
[ "$kills" -eq "$KILLS" ] || fail "only $kills of $KILLS kills landed"
stale=("$CRASHED"/.*.tmp "$CRASHED"/*/.*.tmp)
[ ${#stale[@]} -eq 0 ] || fail "temp files left behind: ${stale[*]}"

echo "== 3. comparison with the reference"
"$PY" scripts/compare_runs.py "$REF" "$CRASHED" | sed 's/^/  /'; [ "${PIPESTATUS[0]}" = 0 ] || fail "the crashed run differs from the reference"
verify "$REF" "reference" || fail "reference folder invalid"
verify "$CRASHED" "crashed + resumed" || fail "crashed folder invalid"

echo "== 4. write failures while saving a checkpoint"
# A run stopped after epoch 1 (SIGKILL once epoch 1 is saved), then resumed against a broken target.
prepare_epoch1() { # OUTPUT_DIR -> prints the experiment folder
  "${CLI[@]}" train "${ARGS[@]}" "experiment.output_dir=$1" >"$1.out" 2>&1 &
  PID=$!
  wait_line "$1.out" "saved metrics/complete_summary.json" || return 1
  kill -KILL "$PID"; wait "$PID" 2>/dev/null
  experiment_of "$1"
}
expect_write_failure() { # LABEL DIR OUTPUT_DIR
  local label=$1 dir=$2 before out rc
  before=$(sha256sum "$dir/checkpoints/epoch_1.pth" "$dir/checkpoints/best_model.pth" "$dir/best_model.pth" | awk '{print $1}')
  out=$("${CLI[@]}" train "${ARGS[@]}" "experiment.output_dir=$3" --resume "$dir" 2>&1); rc=$?
  echo "  $label: exit $rc"; echo "$out" | grep -E "ERROR|WARN" | sed 's/^/    | /'
  [ "$rc" = 1 ] || fail "$label: exit code $rc, expected 1"
  echo "$out" | grep -q "could not write '.*checkpoints/epoch_2.pth'" || fail "$label: the error does not name checkpoints/epoch_2.pth"
  [ "$(sha256sum "$dir/checkpoints/epoch_1.pth" "$dir/checkpoints/best_model.pth" "$dir/best_model.pth" | awk '{print $1}')" = "$before" ] \
    && echo "    previous checkpoints byte-identical" || fail "$label: the previous checkpoint changed"
  local tmps=("$dir"/checkpoints/.*.tmp); [ ${#tmps[@]} -eq 0 ] || fail "$label: temp files left: ${tmps[*]}"
}
finish_and_compare() { # LABEL DIR OUTPUT_DIR
  "${CLI[@]}" train "${ARGS[@]}" "experiment.output_dir=$3" --resume "$2" >"$3.resume.out" 2>&1 || { tail "$3.resume.out"; fail "$1: resume after the failure"; }
  "$PY" scripts/compare_runs.py "$REF" "$2" >"$3.compare.txt" 2>&1 && echo "    resumed to the end: identical to the reference" \
    || { cat "$3.compare.txt"; fail "$1: the resumed run differs from the reference"; }
  verify "$2" "$1, resumed" >/dev/null && echo "    verify after resuming: valid" || fail "$1: folder invalid after resuming"
}
if [ "$(id -u)" != 0 ]; then
  echo "  skipped: needs root (chattr +i, mount -t tmpfs)"
elif ! EPOCH1=$(prepare_epoch1 "$WORK/epoch1") || [ -z "$EPOCH1" ]; then
  fail "could not prepare a folder stopped after epoch 1"
else
  # a) read-only target: the checkpoints folder is immutable (chmod does not stop root).
  mkdir -p "$WORK/readonly"; cp -a "$EPOCH1" "$WORK/readonly/"; RO="$WORK/readonly/$(basename "$EPOCH1")"
  if chattr +i "$RO/checkpoints" 2>/dev/null; then
    expect_write_failure "read-only checkpoints/ (chattr +i)" "$RO" "$WORK/readonly"
    chattr -i "$RO/checkpoints"
    verify "$RO" "read-only case, after the failure" >/dev/null && echo "    verify after the failure: valid" || fail "read-only case: folder invalid after the failure"
  else
    echo "  read-only case skipped: chattr +i is not supported here"
  fi
  # b) full disk: the folder lives on a tmpfs with room for less than one more checkpoint; then room
  #    is made (the folder moves back to the disk) and the run resumes to the end.
  mkdir -p "$WORK/full"
  size=$(du -sk "$EPOCH1" | awk '{print $1}'); ckpt=$(( $(stat -c %s "$EPOCH1/checkpoints/epoch_1.pth") / 1024 ))
  if mount -t tmpfs -o size=$((size + ckpt / 2))k tmpfs "$WORK/full" 2>/dev/null; then
    cp -a "$EPOCH1" "$WORK/full/"; FD="$WORK/full/$(basename "$EPOCH1")"
    echo "  tmpfs of $((size + ckpt / 2)) KiB: folder $size KiB + half a checkpoint ($ckpt KiB)"
    expect_write_failure "full disk (tmpfs)" "$FD" "$WORK/full"
    verify "$FD" "full-disk case, after the failure" >/dev/null && echo "    verify after the failure: valid" || fail "full-disk case: folder invalid after the failure"
    mkdir -p "$WORK/freed"; cp -a "$FD" "$WORK/freed/"; umount "$WORK/full"
    finish_and_compare "full-disk case" "$WORK/freed/$(basename "$FD")" "$WORK/freed"
  else
    echo "  full-disk case skipped: cannot mount a tmpfs here"
  fi
fi

echo "== crash-resume: $kills kills, $([ $FAILED = 0 ] && echo "all checks passed" || echo "$FAILED check(s) FAILED") ($(( $(date +%s) - start )) s, CRASH_SEED=$SEED, work dir $WORK${TEMP_WORK:+, removed when all checks pass})"
[ $FAILED = 0 ]
