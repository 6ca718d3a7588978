#!/usr/bin/env python3
"""Compare two CrackSeg.NET experiment folders for bit-exact equality (used by crash-resume.sh).

    compare_runs.py REFERENCE_DIR OTHER_DIR

Compares metrics/metrics.jsonl line by line with the timing fields (timestamp, epoch_time_s,
samples_per_s) removed (every other number must be identical: the JSON text of a float is its exact
value), and every tensor of model_state_dict in best_model.pth and in the newest checkpoints/epoch_N.pth
bit for bit (plus that checkpoint's optimizer state: AdamW moments and step counts). Prints one line per
check; exit 0 when everything is identical, 1 otherwise.
"""
import json
import os
import re
import sys

import torch

TIMING = {"timestamp", "epoch_time_s", "samples_per_s"}
failures = []


def check(ok, message):
    print(("  ok    " if ok else "  DIFF  ") + message)
    if not ok:
        failures.append(message)


def metrics(folder):
    with open(os.path.join(folder, "metrics", "metrics.jsonl"), encoding="utf-8") as f:
        return [{k: v for k, v in json.loads(line).items() if k not in TIMING} for line in f if line.strip()]


def newest_epoch_file(folder):
    ckpt = os.path.join(folder, "checkpoints")
    epochs = [int(m.group(1)) for m in (re.fullmatch(r"epoch_(\d+)\.pth", n) for n in os.listdir(ckpt)) if m]
    return os.path.join(ckpt, f"epoch_{max(epochs)}.pth") if epochs else None


def same_tensor(a, b):
    """Bit for bit (torch.equal alone would call -0.0 and 0.0 equal)."""
    def bits(t):
        return t.contiguous().flatten().view(torch.uint8)
    return a.dtype == b.dtype and a.shape == b.shape and torch.equal(bits(a), bits(b))


def compare_state(label, a, b):
    if list(a) != list(b):
        check(False, f"{label}: keys differ")
        return
    differing = [k for k in a if not same_tensor(a[k], b[k])]
    check(not differing, f"{label}: {len(a)} tensors bit-identical" if not differing
          else f"{label}: {len(differing)} of {len(a)} tensors differ, e.g. {differing[:3]}")


def compare_optimizer(label, a, b):
    sa, sb = a["state"], b["state"]
    if sorted(sa) != sorted(sb):
        check(False, f"{label}: state keys differ")
        return
    differing = []
    for i in sa:
        for k in sa[i]:
            va, vb = sa[i][k], sb[i].get(k)
            same = same_tensor(va, vb) if torch.is_tensor(va) and torch.is_tensor(vb) else va == vb
            if not same:
                differing.append(f"{i}.{k}")
    groups_same = a["param_groups"] == b["param_groups"]
    check(not differing and groups_same,
          f"{label}: {len(sa)} parameter states and param_groups identical" if not differing and groups_same
          else f"{label}: differs ({differing[:3]}, param_groups equal: {groups_same})")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    ref, other = sys.argv[1], sys.argv[2]
    print(f"compare {other}\n   with {ref}")
    ma, mb = metrics(ref), metrics(other)
    check(len(ma) == len(mb), f"metrics.jsonl: {len(mb)} epochs (reference {len(ma)})")
    for la, lb in zip(ma, mb):
        diff = sorted(k for k in set(la) | set(lb) if la.get(k) != lb.get(k))
        check(not diff, f"metrics.jsonl epoch {la.get('epoch')}: identical" + ("" if not diff else
              f" -- NO: {', '.join(f'{k} {la.get(k)!r} vs {lb.get(k)!r}' for k in diff)}"))

    best_a = torch.load(os.path.join(ref, "best_model.pth"), map_location="cpu")
    best_b = torch.load(os.path.join(other, "best_model.pth"), map_location="cpu")
    check(best_a["epoch"] == best_b["epoch"], f"best_model.pth: epoch {best_b['epoch']} (reference {best_a['epoch']})")
    compare_state("best_model.pth model_state_dict", best_a["model_state_dict"], best_b["model_state_dict"])

    fa, fb = newest_epoch_file(ref), newest_epoch_file(other)
    check(fa is not None and fb is not None and os.path.basename(fa) == os.path.basename(fb),
          f"newest epoch checkpoint: {fb and os.path.basename(fb)} (reference {fa and os.path.basename(fa)})")
    if fa and fb:
        ca, cb = torch.load(fa, map_location="cpu"), torch.load(fb, map_location="cpu")
        check(ca["global_step"] == cb["global_step"], f"{os.path.basename(fb)}: global_step {cb['global_step']} (reference {ca['global_step']})")
        compare_state(f"{os.path.basename(fb)} model_state_dict", ca["model_state_dict"], cb["model_state_dict"])
        compare_optimizer(f"{os.path.basename(fb)} optimizer_state_dict", ca["optimizer_state_dict"], cb["optimizer_state_dict"])
    print("IDENTICAL" if not failures else f"DIFFERENT: {len(failures)} check(s) failed")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
