#!/usr/bin/env python3
"""Check a CrackSeg.NET experiment folder with the real Python stack (torch + PyYAML).

    check_experiment.py EXPERIMENT_DIR GOLDEN_KEYS_FILE [--keys-only {equal,subset}]

Opens best_model.pth (root and checkpoints/) and the newest checkpoints/epoch_N.pth with torch.load,
checks the checkpoint dict's keys, compares model_state_dict's keys, shapes and dtypes with
GOLDEN_KEYS_FILE (lines "name<TAB>[d0, d1, ...]<TAB>dtype"; --keys-only compares key sets only, for
presets other than the one the golden file describes), and parses every JSON/JSONL/YAML file of the
folder checking the keys and Python types of the experiment-data-saving guide.

Works with Debian's PyTorch 1.13 and with PyTorch >= 2.4. PyTorch 1.13's weights_only unpickler rejects
Python floats (opcode BINFLOAT), so there the whole checkpoint is loaded with weights_only=False; what
PyTorch >= 2.4 needs for weights_only=True is checked instead by scanning the pickle's opcodes and
globals against that unpickler's allow-list. Exit code 0: no problems; 1: problems (all printed).
"""
import argparse
import datetime
import io
import json
import math
import os
import pickletools
import re
import sys
import zipfile

import torch
import yaml

FINAL_KEYS = ["val_precision", "val_recall", "val_f1", "val_iou", "val_dice", "val_accuracy", "val_loss"]
BEST_KEYS = ["precision", "recall", "f1", "iou", "dice", "accuracy", "loss"]
EPOCH_VAL_KEYS = ["val_loss", "val_iou", "val_f1", "val_precision", "val_recall", "val_dice", "val_accuracy"]
EPOCH_KEYS = ["epoch", "train_loss"] + EPOCH_VAL_KEYS + ["timestamp", "lr", "grad_norm", "epoch_time_s", "samples_per_s"]
SUMMARY_TYPES = {
    "experiment_name": str, "project_name": str, "model_type": str, "dataset": str,
    "training_epochs": int, "batch_size": int, "learning_rate": float, "final_metrics": dict,
    "best_epoch": int, "total_training_time": float, "timestamp": str, "hardware_info": dict,
}
HARDWARE_TYPES = {"device": str, "cuda_available": bool, "gpu_name": str}
CHECKPOINT_KEYS = ["epoch", "global_step", "model_state_dict", "optimizer_state_dict", "metrics", "best_metric", "config"]
REQUIRED_FILES = [
    "metrics/complete_summary.json", "metrics/metrics.jsonl", "metrics/validation_metrics.json",
    "logs/training.log", "final_results.yaml", "config.yaml", "splits.json",
]
# What torch._weights_only_unpickler (PyTorch >= 2.4) accepts.
WEIGHTS_ONLY_OPCODES = {
    "PROTO", "STOP", "GLOBAL", "NEWOBJ", "REDUCE", "BUILD", "APPEND", "APPENDS", "SETITEM", "SETITEMS",
    "MARK", "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3", "NONE", "NEWFALSE", "NEWTRUE", "EMPTY_TUPLE",
    "EMPTY_LIST", "EMPTY_DICT", "EMPTY_SET", "BININT", "BININT1", "BININT2", "BINFLOAT", "BINUNICODE",
    "SHORT_BINSTRING", "BINPERSID", "BINGET", "LONG_BINGET", "BINPUT", "LONG_BINPUT", "LONG1",
}
WEIGHTS_ONLY_GLOBAL = re.compile(r"^(torch\._utils _rebuild_tensor_v2|torch\._utils _rebuild_parameter|"
                                 r"collections OrderedDict|torch [A-Za-z0-9]+Storage)$")

problems = []


def problem(where, message):
    problems.append(f"{where}: {message}")


def type_name(t):
    return {str: "a string", int: "an int", float: "a float", bool: "a bool", dict: "a dict"}[t]


def is_type(value, t):
    if t is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if t is float:
        return isinstance(value, float) and math.isfinite(value)
    return isinstance(value, t)


def check_types(where, obj, types, nullable=()):
    if not isinstance(obj, dict):
        problem(where, f"expected a dict, found {type(obj).__name__}")
        return {}
    ok = {}
    for key, t in types.items():
        if key not in obj:
            problem(where, f"missing key '{key}'")
        elif obj[key] is None and key in nullable:
            ok[key] = None
        elif not is_type(obj[key], t):
            problem(where, f"'{key}' should be {type_name(t)}, found {obj[key]!r}")
        else:
            ok[key] = obj[key]
    return ok


def check_timestamp(where, text):
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        problem(where, f"timestamp {text!r} is not ISO 8601")
        return
    if parsed.tzinfo is None:
        problem(where, f"timestamp {text!r} has no UTC offset")


def load_json(folder, name):
    path = os.path.join(folder, name)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f, parse_constant=lambda c: problem(name, f"non-finite number {c}"))
    except FileNotFoundError:
        return None  # reported with the file list
    except json.JSONDecodeError as e:
        problem(name, f"not valid JSON ({e})")
        return None


def check_metrics_jsonl(folder):
    name = "metrics/metrics.jsonl"
    lines = []
    try:
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return lines
    if text and not text.endswith("\n"):
        problem(name, "last line is not newline-terminated")
    for number, raw in enumerate(text.splitlines(), 1):
        where = f"{name} line {number}"
        try:
            line = json.loads(raw, parse_constant=lambda c: problem(where, f"non-finite number {c}"))
        except json.JSONDecodeError as e:
            problem(where, f"not valid JSON ({e})")
            continue
        types = {k: (int if k == "epoch" else str if k == "timestamp" else float) for k in EPOCH_KEYS}
        ok = check_types(where, line, types, nullable=EPOCH_VAL_KEYS)
        if list(line) != EPOCH_KEYS:
            problem(where, f"keys {list(line)} differ from {EPOCH_KEYS}")
        if "timestamp" in ok:
            check_timestamp(where, ok["timestamp"])
        nulls = sum(line.get(k) is None for k in EPOCH_VAL_KEYS)
        if nulls not in (0, len(EPOCH_VAL_KEYS)):
            problem(where, "val_* values must be all numbers or all null")
        lines.append(line)
    epochs = [line.get("epoch") for line in lines]
    if epochs != list(range(1, len(lines) + 1)):
        problem(name, f"epochs are {epochs}, expected 1..{len(lines)} without gaps or duplicates")
    if not lines:
        problem(name, "no epochs")
    return lines


def check_metric_values(where, obj, keys, source):
    types = {k: float for k in keys}
    ok = check_types(where, obj, types, nullable=keys if source is None else ())
    for key, valkey in zip(keys, FINAL_KEYS if keys[0].startswith("val_") else ["val_" + k for k in keys]):
        expected = None if source is None else source[valkey]
        if key in ok and ok[key] != expected:
            problem(where, f"{key} is {ok[key]!r}, metrics.jsonl has {expected!r}")


def check_documents(folder, lines):
    validated = [l for l in lines if l.get("val_iou") is not None]
    last = validated[-1] if validated else None

    summary = load_json(folder, "metrics/complete_summary.json")
    best_epoch = None
    if summary is not None:
        where = "metrics/complete_summary.json"
        ok = check_types(where, summary, SUMMARY_TYPES, nullable=("best_epoch",))
        if list(summary)[:len(SUMMARY_TYPES)] != list(SUMMARY_TYPES):
            problem(where, f"the guide's keys should come first, in order: {list(SUMMARY_TYPES)}")
        if "timestamp" in ok:
            check_timestamp(where, ok["timestamp"])
        check_types(f"{where} hardware_info", summary.get("hardware_info", {}), HARDWARE_TYPES)
        check_metric_values(f"{where} final_metrics", summary.get("final_metrics", {}), FINAL_KEYS, last)
        best_epoch = ok.get("best_epoch")
        if summary.get("epochs_completed", len(lines)) != len(lines):
            problem(where, f"epochs_completed {summary.get('epochs_completed')} but metrics.jsonl has {len(lines)} epochs")

    validation = load_json(folder, "metrics/validation_metrics.json")
    if validation is not None:
        where = "metrics/validation_metrics.json"
        check_types(where, validation, {"final_validation": dict, "best_validation": dict})
        check_metric_values(f"{where} final_validation", validation.get("final_validation", {}), FINAL_KEYS, last)
        best = validation.get("best_validation", {})
        if best.get("epoch") != best_epoch:
            problem(where, f"best_validation.epoch {best.get('epoch')!r} != best_epoch {best_epoch!r}")
        source = next((l for l in lines if l.get("epoch") == best_epoch), None) if best_epoch else None
        check_metric_values(f"{where} best_validation", best, BEST_KEYS, source)

    try:
        with open(os.path.join(folder, "final_results.yaml"), encoding="utf-8") as f:
            final = yaml.safe_load(f)
        check_metric_values("final_results.yaml", final, FINAL_KEYS, last)
    except FileNotFoundError:
        pass
    except yaml.YAMLError as e:
        problem("final_results.yaml", f"not valid YAML ({e})")

    try:
        with open(os.path.join(folder, "config.yaml"), encoding="utf-8") as f:
            config = yaml.safe_load(f)
        if not isinstance(config, dict):
            problem("config.yaml", "expected a mapping")
        else:
            for path, value in walk(config):
                if isinstance(value, str) and re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", value):
                    print(f"note: config.yaml {path} = {value!r} is a string to PyYAML (YAML 1.1 floats need a '.' and a signed exponent)")
    except FileNotFoundError:
        pass
    except yaml.YAMLError as e:
        problem("config.yaml", f"not valid YAML ({e})")

    splits = load_json(folder, "splits.json")
    if splits is not None and not isinstance(splits, dict):
        problem("splits.json", "expected a JSON object")
    return best_epoch


def walk(node, prefix=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, f"{prefix}.{k}" if prefix else str(k))
    else:
        yield prefix, node


def read_golden(path):
    golden = {}
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            parts = raw.rstrip("\n").split("\t")
            if len(parts) != 3:
                sys.exit(f"{path} line {number}: expected 'name<TAB>[shape]<TAB>dtype'")
            shape = [int(d) for d in parts[1].strip("[] ").split(",") if d.strip()]
            golden[parts[0]] = (shape, parts[2])
    return golden


def scan_pickle(where, path):
    """What PyTorch >= 2.4 needs to open the file with weights_only=True."""
    with zipfile.ZipFile(path) as z:
        pkl_name = next(n for n in z.namelist() if n.endswith("data.pkl"))
        data = z.read(pkl_name)
    for op, arg, _ in pickletools.genops(data):
        if op.name not in WEIGHTS_ONLY_OPCODES:
            problem(where, f"pickle opcode {op.name} is rejected by torch.load(weights_only=True)")
        if op.name == "GLOBAL" and not WEIGHTS_ONLY_GLOBAL.match(arg):
            problem(where, f"pickle global {arg!r} is rejected by torch.load(weights_only=True)")


def load_checkpoint(where, path):
    scan_pickle(where, path)
    modern = tuple(int(x) for x in re.findall(r"\d+", torch.__version__)[:2]) >= (2, 4)
    if not modern:
        try:
            torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:  # noqa: BLE001 - torch raises plain Exception/UnpicklingError here
            if "Unsupported operand 71" not in str(e):  # 71 = BINFLOAT, which 1.13 does not support
                problem(where, f"torch {torch.__version__} weights_only load failed for another reason than floats: {e}")
    return torch.load(path, map_location="cpu", weights_only=modern)


def check_checkpoint(where, path, expected_epoch, lines, golden, keys_only):
    try:
        ckpt = load_checkpoint(where, path)
    except Exception as e:  # noqa: BLE001
        problem(where, f"torch.load failed: {e}")
        return
    if not isinstance(ckpt, dict):
        problem(where, f"expected a dict, found {type(ckpt).__name__}")
        return
    for key in CHECKPOINT_KEYS:
        if key not in ckpt:
            problem(where, f"missing key '{key}'")
    if ckpt.get("epoch") != expected_epoch:
        problem(where, f"epoch is {ckpt.get('epoch')!r}, expected {expected_epoch}")
    if not is_type(ckpt.get("global_step"), int):
        problem(where, "global_step is not an int")
    if not all(is_type(v, float) for v in (ckpt.get("metrics") or {}).values()):
        problem(where, "metrics should be a dict of finite floats")
    history = ckpt.get("history")
    if isinstance(history, list):
        if [h.get("epoch") for h in history] != list(range(1, expected_epoch + 1)):
            problem(where, "history epochs are not 1..epoch")
        for h in history:
            e = h.get("epoch")
            if isinstance(e, int) and 1 <= e <= len(lines) and h.get("train_loss") != lines[e - 1].get("train_loss"):
                problem(where, f"history epoch {e} train_loss differs from metrics.jsonl")
                break
    optimizer = ckpt.get("optimizer_state_dict")
    if not (isinstance(optimizer, dict) and isinstance(optimizer.get("state"), dict) and isinstance(optimizer.get("param_groups"), list)):
        problem(where, "optimizer_state_dict should be PyTorch's {'state': {...}, 'param_groups': [...]}")
    else:
        indices = [i for g in optimizer["param_groups"] for i in g.get("params", [])]
        if sorted(indices) != sorted(optimizer["state"].keys()):
            problem(where, "optimizer param_groups' params do not match the state's keys")
        for group in optimizer["param_groups"]:
            if not {"lr", "params"} <= set(group):
                problem(where, f"param group without lr/params: {sorted(group)}")
        for i, s in optimizer["state"].items():
            if "step" in s and not (torch.is_tensor(s["step"]) and s["step"].dim() == 0):
                problem(where, f"state[{i}].step should be a scalar tensor as PyTorch writes it")
    sd = ckpt.get("model_state_dict")
    if not isinstance(sd, dict) or not all(torch.is_tensor(t) for t in sd.values()):
        problem(where, "model_state_dict should be a dict of tensors")
        return
    nonfinite = [k for k, t in sd.items() if t.is_floating_point() and not torch.isfinite(t).all()]
    if nonfinite:
        problem(where, f"non-finite values in {nonfinite[:5]}")
    compare_with_golden(where, sd, golden, keys_only)


def compare_with_golden(where, sd, golden, keys_only):
    ours, theirs = set(sd), set(golden)
    if keys_only == "subset":
        extra = sorted(ours - theirs)
        if extra:
            problem(where, f"{len(extra)} model_state_dict keys are not in the golden file: {extra[:8]}")
        return
    if ours != theirs:
        problem(where, f"model_state_dict keys differ from the golden file: {len(theirs - ours)} missing "
                       f"{sorted(theirs - ours)[:5]}, {len(ours - theirs)} unexpected {sorted(ours - theirs)[:5]}")
    if keys_only == "equal":
        return
    for key in sorted(ours & theirs):
        shape, dtype = golden[key]
        t = sd[key]
        if list(t.shape) != shape or str(t.dtype).replace("torch.", "") != dtype:
            problem(where, f"{key}: {list(t.shape)} {t.dtype} in the checkpoint, golden {shape} {dtype}")
    if [k for k in sd if k in theirs] != [k for k in golden if k in ours]:
        print(f"note: {where}: model_state_dict key order differs from the golden file (loading by name is unaffected)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("experiment_dir")
    parser.add_argument("golden_keys_file")
    parser.add_argument("--keys-only", choices=["equal", "subset"],
                        help="compare model_state_dict key sets only (equal, or a subset of the golden keys): for non-seed presets")
    args = parser.parse_args()
    folder = args.experiment_dir
    if not os.path.isdir(folder):
        sys.exit(f"{folder}: not a folder")
    golden = read_golden(args.golden_keys_file)

    for name in REQUIRED_FILES:
        if not os.path.isfile(os.path.join(folder, name)):
            problem(name, "missing")
    lines = check_metrics_jsonl(folder)
    best_epoch = check_documents(folder, lines)

    checkpoints = os.path.join(folder, "checkpoints")
    epochs = sorted(int(m.group(1)) for n in (os.listdir(checkpoints) if os.path.isdir(checkpoints) else [])
                    if (m := re.fullmatch(r"epoch_(\d+)\.pth", n)))
    if not epochs:
        problem("checkpoints/", "no epoch_N.pth")
    else:
        check_checkpoint(f"checkpoints/epoch_{epochs[-1]}.pth", os.path.join(checkpoints, f"epoch_{epochs[-1]}.pth"),
                         epochs[-1], lines, golden, args.keys_only)
    if best_epoch is not None:
        for name in ("best_model.pth", "checkpoints/best_model.pth"):
            if os.path.isfile(os.path.join(folder, name)):
                check_checkpoint(name, os.path.join(folder, name), best_epoch, lines, golden, args.keys_only)
            else:
                problem(name, "missing")

    print(f"torch {torch.__version__}, PyYAML {yaml.__version__}: {folder}: "
          f"{len(lines)} epochs, best epoch {best_epoch}, {len(problems)} problem(s)")
    for p in problems:
        print(f"PROBLEM {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
