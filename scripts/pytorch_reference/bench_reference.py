"""Times the PyTorch reference exactly as `crackseg bench model` times CrackSeg.NET.

One configuration per process (the anchor protocol): torch.manual_seed(0), random normal images,
random binary masks (rand > 0.95), forward-only in eval() + no_grad, and a training step of
forward, BCEWithLogitsLoss, backward, AdamW(lr 1e-4, betas 0.9/0.999, eps 1e-8, weight decay 0.01
on the decay group, 0 on norms/biases/position tables) step, zero_grad. Medians over --iterations
timed steps after --warmup untimed ones. Prints the same lines as `crackseg bench model`:
  model <name>: <N> params, batch <B>: forward X img/s, train Y img/s
  phases <name>: forward F ms, backward B ms, optimizer O ms, other R ms
The phases are medians per step; forward includes the loss, other is the rest of the step
(zero_grad, Python overhead). --precision bf16 wraps forward + loss in
torch.autocast("cpu", dtype=torch.bfloat16); if PyTorch refuses, it prints
`unavailable <name>: <reason>` and exits 3.
"""
import argparse
import os
import statistics
import sys
import time
from contextlib import nullcontext

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crackseg_reference as ref  # noqa: E402

EXIT_UNAVAILABLE = 3


def autocast(precision):
    if precision == "fp32":
        return nullcontext()
    return torch.autocast("cpu", dtype=torch.bfloat16)


def time_forward(model, images, precision, warmup, iterations):
    model.eval()
    times = []
    with torch.no_grad(), autocast(precision):
        for i in range(warmup + iterations):
            start = time.perf_counter()
            model(images)
            if i >= warmup:
                times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_train(model, images, masks, precision, warmup, iterations):
    """Median seconds per step and median ms per phase (forward+loss, backward, optimizer, other)."""
    model.train()
    decay, no_decay = ref.parameter_groups(model)
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=1e-4, betas=(0.9, 0.999), eps=1e-8)
    loss_fn = nn.BCEWithLogitsLoss()
    steps, phases = [], {"forward": [], "backward": [], "optimizer": [], "other": []}
    for i in range(warmup + iterations):
        t0 = time.perf_counter()
        with autocast(precision):
            loss = loss_fn(model(images), masks)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        optimizer.step()
        t3 = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        del loss
        t4 = time.perf_counter()
        if i >= warmup:
            steps.append(t4 - t0)
            for name, value in (("forward", t1 - t0), ("backward", t2 - t1), ("optimizer", t3 - t2)):
                phases[name].append(value)
            phases["other"].append(t4 - t3)
    return statistics.median(steps), {k: 1000 * statistics.median(v) for k, v in phases.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["seed", "small"], required=True)
    parser.add_argument("--batch", type=int, help="default: 2 for seed, 4 for small (as crackseg bench model)")
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    parser.add_argument("--skip-forward", action="store_true", help="time only the training step")
    parser.add_argument("--phases", action="store_true", help="also print the per-phase line")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    batch = args.batch or (2 if args.only == "seed" else 4)
    model = ref.SwinV2CnnAsppUNet(ref.preset(args.only, args.image_size))
    parameters = sum(p.numel() for p in model.parameters())
    images = torch.randn(batch, 3, args.image_size, args.image_size)
    masks = (torch.rand(batch, 1, args.image_size, args.image_size) > 0.95).float()

    try:
        forward = float("nan") if args.skip_forward else time_forward(model, images, args.precision, args.warmup, args.iterations)
        train, phases = time_train(model, images, masks, args.precision, args.warmup, args.iterations)
    except RuntimeError as error:
        if args.precision == "fp32":
            raise
        reason = str(error).strip().splitlines()[0]
        print(f"unavailable {args.only}: torch {torch.__version__} autocast {args.precision}: {reason}")
        return EXIT_UNAVAILABLE

    print(f"model {args.only}: {parameters:,} params, batch {batch}: forward {batch / forward:.2f} img/s, "
          f"train {batch / train:.2f} img/s")
    if args.phases:
        print(f"phases {args.only}: forward {phases['forward']:.1f} ms, backward {phases['backward']:.1f} ms, "
              f"optimizer {phases['optimizer']:.1f} ms, other {phases['other']:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
