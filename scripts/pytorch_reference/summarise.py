"""Ratios of medians from the interleaved rounds that scripts/bench-vs-pytorch.sh recorded.

Input: a TSV with one row per process run:
  round side precision name status forward_img_s train_img_s forward_ms backward_ms optimizer_ms other_ms reason
(side: ours | pytorch; status: ok | unavailable). Prints the per-round figures, the per-phase medians
of both sides, then one `name: value` line per ratio (ours / PyTorch, > 1 = CrackSeg.NET faster).
"""
import csv
import statistics
import sys

NAMES = ("seed", "small")
PHASES = ("forward_ms", "backward_ms", "optimizer_ms", "other_ms")


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def select(rows, side, precision, name):
    return [r for r in rows if r["side"] == side and r["precision"] == precision and r["name"] == name]


def median_of(rows, field):
    values = [float(r[field]) for r in rows if r["status"] == "ok" and r[field] not in ("", "nan")]
    return statistics.median(values) if values else None


def reason_of(rows, default):
    reasons = [r["reason"] for r in rows if r["status"] != "ok" and r["reason"]]
    return reasons[0] if reasons else default


def ratio(numerator, denominator):
    return f"{numerator / denominator:.2f}"


def main(path):
    rows = read(path)
    print("rounds (img/s):")
    for r in rows:
        figures = (f"forward {r['forward_img_s']}, train {r['train_img_s']}" if r["status"] == "ok"
                   else f"unavailable ({r['reason']})")
        print(f"  round {r['round']} {r['side']:7} {r['precision']} {r['name']:5}: {figures}")

    print("phases (median ms per training step over rounds; forward includes the loss):")
    for name in NAMES:
        for side in ("ours", "pytorch"):
            for precision in ("fp32", "bf16"):
                chosen = select(rows, side, precision, name)
                medians = [median_of(chosen, p) for p in PHASES]
                if any(m is None for m in medians):
                    continue
                cells = ", ".join(f"{p[:-3]} {m:.1f}" for p, m in zip(PHASES, medians))
                print(f"  {name:5} {side:7} {precision}: {cells}, total {sum(medians):.1f}")

    lines = []
    for name in NAMES:
        ours32, ref32 = select(rows, "ours", "fp32", name), select(rows, "pytorch", "fp32", name)
        for field, label in (("train_img_s", "train"), ("forward_img_s", "fwd")):
            a, b = median_of(ours32, field), median_of(ref32, field)
            lines.append((f"ratio_{label}_fp32_{name}", ratio(a, b) if a and b else "unavailable (not measured)"))

    for name in NAMES:
        ours16 = select(rows, "ours", "bf16", name)
        ref32, ref16 = select(rows, "pytorch", "fp32", name), select(rows, "pytorch", "bf16", name)
        mine = median_of(ours16, "train_img_s")
        anchors = {"fp32": median_of(ref32, "train_img_s"), "autocast-bf16": median_of(ref16, "train_img_s")}
        usable = {k: v for k, v in anchors.items() if v}
        if not usable:
            value = "unavailable (no PyTorch figure)"
        elif not mine:
            value = f"unavailable ({reason_of(ours16, 'not measured')})"
        else:
            mode = max(usable, key=usable.get)
            value = ratio(mine, usable[mode])
            note = "" if anchors["autocast-bf16"] else f"; autocast-bf16 unavailable: {reason_of(ref16, 'not measured')}"
            print(f"bf16 anchor {name}: PyTorch {mode} ({usable[mode]:.2f} img/s{note})")
        lines.append((f"ratio_train_bf16_{name}", value))
    # Keep the order: fp32 train/fwd per model first, then bf16, then the speed-up.
    order = ["ratio_train_fp32_seed", "ratio_train_fp32_small", "ratio_fwd_fp32_seed", "ratio_fwd_fp32_small",
             "ratio_train_bf16_seed", "ratio_train_bf16_small"]
    values = dict(lines)

    fast, slow = median_of(select(rows, "ours", "bf16", "seed"), "train_img_s"), median_of(select(rows, "ours", "fp32", "seed"), "train_img_s")
    values["bf16_speedup_seed"] = (ratio(fast, slow) if fast and slow
                                   else f"unavailable ({reason_of(select(rows, 'ours', 'bf16', 'seed'), 'not measured')})")
    for key in order + ["bf16_speedup_seed"]:
        print(f"{key}: {values[key]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
