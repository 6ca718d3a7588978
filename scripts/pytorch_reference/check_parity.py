"""Proves the PyTorch reference is CrackSeg.NET's model before it is timed against it.

1. Golden outputs: the hybrid_small fixture (made with timm + crackseg's own code) is loaded with
   strict=True and every stored output is reproduced within --tolerance (max abs diff).
2. Parameter counts: each configuration's count must equal the one given as NAME=COUNT
   (the harness passes what `crackseg model` reports).
Prints `parity <name>: max abs diff D` / `params <name>: N` lines; exit 1 on any mismatch.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crackseg_reference as ref  # noqa: E402

GOLDEN_SMALL = dict(image_size=64, embed_dim=12, depths=(2, 2, 2, 2), num_heads=(1, 2, 4, 8), window=4, drop_path=0.0,
                    aspp_channels=32, aspp_dilations=(1, 6, 12, 18), aspp_dropout=0.1, decoder_channels=(16, 8, 4),
                    cbam_reduction=4, patch_size=4)


def load(path):
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:  # torch < 1.13 has no weights_only
        return torch.load(path, map_location="cpu")


def golden_differences(golden_dir):
    model = ref.SwinV2CnnAsppUNet(GOLDEN_SMALL)
    model.load_state_dict(load(os.path.join(golden_dir, "hybrid_small.state_dict.pth")), strict=True)
    model.eval()
    inputs = load(os.path.join(golden_dir, "hybrid_small.input.pth"))
    expected = load(os.path.join(golden_dir, "hybrid_small.outputs.pth"))
    with torch.no_grad():
        out = model.intermediates(inputs["x"])
        got = {"enc_skip0": out["stages"][0], "enc_skip1": out["stages"][1], "enc_skip2": out["stages"][2],
               "enc_bottleneck": out["stages"][3], "aspp": out["aspp"], "logits": out["logits"],
               "output": torch.sigmoid(out["logits"]), "aspp_probe": model.bottleneck(inputs["aspp_in"])}
        got.update({f"dec_block{i}": b for i, b in enumerate(out["blocks"])})
    missing = sorted(set(expected) - set(got))
    if missing:
        raise SystemExit(f"golden outputs not covered by the reference: {missing}")
    return {name: (got[name] - expected[name]).abs().max().item() for name in sorted(expected)}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--golden", required=True, help="folder with hybrid_small.{state_dict,input,outputs}.pth")
    parser.add_argument("--tolerance", type=float, default=1e-5)
    parser.add_argument("counts", nargs="*", help="NAME=COUNT: expected parameter count of configuration NAME (seed, small)")
    args = parser.parse_args()

    ok = True
    for name, diff in golden_differences(args.golden).items():
        good = diff <= args.tolerance
        ok &= good
        print(f"parity {name}: max abs diff {diff:.3g}{'' if good else f' > {args.tolerance:g} MISMATCH'}")
    for item in args.counts:
        name, expected = item.split("=")
        with torch.random.fork_rng():
            count = sum(p.numel() for p in ref.SwinV2CnnAsppUNet(ref.preset(name)).parameters())
        good = count == int(expected)
        ok &= good
        print(f"params {name}: {count}{'' if good else f' != {expected} (crackseg model) MISMATCH'}")
    print(f"parity: {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
