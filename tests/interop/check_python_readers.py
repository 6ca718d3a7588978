#!/usr/bin/env python3
"""Read a CrackSeg.NET experiment folder the way the Python crackseg project's own modules read one.

    check_python_readers.py EXPERIMENT_DIR [--golden-keys FILE]

What it mirrors (fredyGabriel/crackseg at commit 094ff84):
  * reporting/data_loader.py ExperimentDataLoader: validate_experiment_structure, the config.yaml
    summary (model.name, data.dataset, training.optimizer, training.epochs; missing -> "unknown"/0),
    complete_summary.json through get_experiment_summary (best_epoch, best_iou, best_f1,
    best_precision, best_recall, final_loss, training_time; missing -> 0), checkpoints looked up by
    name (checkpoints/model_best.pth, checkpoints/model_latest.pth);
  * reporting/performance/: the same complete_summary keys;
  * evaluation/visualization/experiment/: best_metrics.<loss|iou|f1|precision|recall>.value and
    experiment_info.total_epochs / .best_epoch;
  * evaluation/core/model_loader.py ModelLoader: torch.load, then checkpoint["config"]["model"] if
    present (it must then be the Python SwinV2CnnAsppUNet block; the model_state_dict keys must be the
    golden key list, for its strict load_state_dict), else detection from the state_dict keys.

Those modules turn a missing value into 0 or "unknown" silently; this script fails instead: on any
missing key, any value that differs from the folder's own metrics.jsonl (so a placeholder 0 is caught),
and any checkpoint that is missing or is not the file it names. Needs only the standard library,
PyYAML and PyTorch (Debian python3-yaml, python3-torch). Exit code 0: no problems, 1: problems.
"""
import argparse
import json
import os
import re
import sys

import torch
import yaml

MISSING = object()
PYTHON_MODEL = {
    "_target_": "crackseg.model.architectures.swinv2_cnn_aspp_unet.SwinV2CnnAsppUNet",
    "encoder": {
        "_target_": "crackseg.model.encoder.swin_v2_adapter.SwinV2EncoderAdapter",
        "model_name": "swinv2_tiny_window8_256",
        "in_channels": 3,
    },
    "bottleneck": {
        "_target_": "crackseg.model.components.aspp.ASPPModule",
        "in_channels": 768,
        "output_channels": 256,
        "dilation_rates": [1, 6, 12, 18],
    },
    "decoder": {
        "_target_": "crackseg.model.decoder.cnn_decoder.CNNDecoder",
        "in_channels": 256,
        "skip_channels_list": [384, 192, 96],
        "config": {"use_cbam": True, "cbam_reduction": 16, "upsample_mode": "bilinear",
                   "kernel_size": 3, "padding": 1, "upsample_scale_factor": 2},
    },
    "num_classes": 1,
    "final_activation": "sigmoid",
}
METRICS = ["loss", "iou", "f1", "precision", "recall", "dice", "accuracy"]

problems = []


def problem(where, message):
    problems.append(f"{where}: {message}")


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def get(obj, key):
    return obj.get(key, MISSING) if isinstance(obj, dict) else MISSING


def expect_value(where, actual, expected):
    """A value the Python readers would have defaulted to 0 when missing: present and equal to the source."""
    if actual is MISSING:
        problem(where, f"missing (the Python reader would show 0), expected {expected!r}")
    elif actual is None or isinstance(actual, bool) or not isinstance(actual, (int, float)):
        problem(where, f"{actual!r} is not a number, expected {expected!r}")
    elif actual != expected:
        problem(where, f"{actual!r}, expected {expected!r}")


def check_structure(folder):
    # ExperimentDataLoader.validate_experiment_structure
    if not os.path.isfile(os.path.join(folder, "config.yaml")):
        problem("config.yaml", "missing (required by ExperimentDataLoader)")
    if not any(os.path.isdir(os.path.join(folder, d)) for d in ("metrics", "checkpoints", "logs", "visualizations", "predictions")):
        problem(folder, "none of metrics/, checkpoints/, logs/, visualizations/, predictions/")


def check_config_summary(folder):
    # ExperimentDataLoader._load_metadata's config_summary
    with open(os.path.join(folder, "config.yaml"), encoding="utf-8") as f:
        config = yaml.safe_load(f) or {}
    summary = {
        "model": config.get("model", {}).get("name", "unknown"),
        "dataset": config.get("data", {}).get("dataset", "unknown"),
        "optimizer": config.get("training", {}).get("optimizer", "unknown"),
        "epochs": config.get("training", {}).get("epochs", 0),
    }
    for key in ("model", "dataset", "optimizer"):
        if summary[key] == "unknown" or not isinstance(summary[key], str) or not summary[key]:
            problem(f"config.yaml {key}", f"reads as {summary[key]!r}")
    if summary["model"] != "SwinV2CnnAsppUNet":
        problem("config.yaml model.name", f"{summary['model']!r}, expected the model class 'SwinV2CnnAsppUNet'")
    if not isinstance(summary["epochs"], int) or isinstance(summary["epochs"], bool) or summary["epochs"] < 1:
        problem("config.yaml training.epochs", f"reads as {summary['epochs']!r}")
    return config, summary


def metric_lines(folder):
    with open(os.path.join(folder, "metrics", "metrics.jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def check_summary(folder, lines, config):
    name = "metrics/complete_summary.json"
    s = read_json(os.path.join(folder, name))
    validated = [l for l in lines if l.get("val_iou") is not None]
    if not validated:
        problem("metrics/metrics.jsonl", "no validated epoch: a fresh folder for this check must validate")
        return s, None
    best_epoch = s.get("best_epoch")
    best = next((l for l in lines if l.get("epoch") == best_epoch), None)
    if best is None or best.get("val_iou") is None:
        problem(name, f"best_epoch {best_epoch!r} is not a validated epoch of metrics.jsonl")
        return s, None
    last = validated[-1]

    # get_experiment_summary's metrics_summary and the performance analyzer's keys
    expect_value(f"{name} best_epoch", get(s, "best_epoch"), best["epoch"])
    for key in ("iou", "f1", "precision", "recall", "dice", "accuracy"):
        expect_value(f"{name} best_{key}", get(s, f"best_{key}"), best[f"val_{key}"])
    expect_value(f"{name} final_loss", get(s, "final_loss"), last["val_loss"])
    expect_value(f"{name} training_time", get(s, "training_time"), s.get("total_training_time"))
    if isinstance(s.get("training_time"), (int, float)) and not s["training_time"] > 0:
        problem(f"{name} training_time", f"{s['training_time']!r}: a run that trained takes time")

    # the experiment comparison table and radar chart
    best_metrics = get(s, "best_metrics")
    if not isinstance(best_metrics, dict):
        problem(f"{name} best_metrics", f"{'missing' if best_metrics is MISSING else repr(best_metrics)} (the comparison table would show 0)")
    else:
        for key in METRICS:
            entry = best_metrics.get(key, {})
            expect_value(f"{name} best_metrics.{key}.value", get(entry, "value"), best[f"val_{key}"])
            expect_value(f"{name} best_metrics.{key}.epoch", get(entry, "epoch"), best["epoch"])
    info = get(s, "experiment_info")
    if not isinstance(info, dict):
        problem(f"{name} experiment_info", "missing (the comparison table would show 0 epochs)")
    else:
        expect_value(f"{name} experiment_info.total_epochs", get(info, "total_epochs"), config["training"]["epochs"])
        expect_value(f"{name} experiment_info.best_epoch", get(info, "best_epoch"), best["epoch"])
        expect_value(f"{name} experiment_info.epochs_completed", get(info, "epochs_completed"), len(lines))

    # the same numbers as CrackSeg.NET's own report, which reads the guide's files
    validation = read_json(os.path.join(folder, "metrics", "validation_metrics.json"))
    for key in METRICS:
        if validation["best_validation"].get(key) != best[f"val_{key}"]:
            problem("metrics/validation_metrics.json", f"best_validation.{key} differs from metrics.jsonl")
    if validation["final_validation"].get("val_loss") != s.get("final_loss"):
        problem(name, "final_loss differs from validation_metrics.json final_validation.val_loss")
    return s, best["epoch"]


def load_checkpoint(path):
    # ModelLoader.load_checkpoint: weights_only=False first (PyTorch 1.13 cannot load floats with weights_only)
    return torch.load(path, map_location="cpu", weights_only=False)


def check_checkpoints(folder, best_epoch, golden_keys):
    checkpoints = os.path.join(folder, "checkpoints")
    epochs = sorted(int(m.group(1)) for n in os.listdir(checkpoints) if (m := re.fullmatch(r"epoch_(\d+)\.pth", n)))
    expected = {"model_best.pth": ("best_model.pth", best_epoch),
                "model_latest.pth": (f"epoch_{epochs[-1]}.pth" if epochs else None, epochs[-1] if epochs else None)}
    loaded = {}
    for name, (source, epoch) in expected.items():
        path = os.path.join(checkpoints, name)
        where = f"checkpoints/{name}"
        if not os.path.isfile(path):  # ExperimentDataLoader._load_artifacts looks checkpoints up by these names only
            problem(where, "missing (the reporting module would find no checkpoint)")
            continue
        source_path = os.path.join(checkpoints, source) if source else None
        if source_path is None or not os.path.isfile(source_path):
            problem(where, f"present but its file {source} is not")
            continue
        if os.path.samefile(path, source_path):
            print(f"note: {where} is a hard link to checkpoints/{source}")
        else:
            with open(path, "rb") as a, open(source_path, "rb") as b:
                if a.read() != b.read():
                    problem(where, f"differs from checkpoints/{source}")
            print(f"note: {where} is a copy of checkpoints/{source} (no hard links on this file system)")
        try:
            ckpt = load_checkpoint(path)
        except Exception as e:  # noqa: BLE001
            problem(where, f"torch.load failed: {e}")
            continue
        if ckpt.get("epoch") != epoch:
            problem(where, f"holds epoch {ckpt.get('epoch')!r}, expected {epoch}")
        loaded[name] = ckpt
    if "model_best.pth" in loaded:
        check_model_loader_view("checkpoints/model_best.pth", loaded["model_best.pth"], golden_keys)


def check_model_loader_view(where, ckpt, golden_keys):
    """What evaluation/core/model_loader.py does with a checkpoint, short of importing crackseg."""
    config = ckpt.get("config")
    if not isinstance(config, dict):
        problem(f"{where} config", "missing or not a dict (ModelLoader.load_config needs it)")
        return
    for path, value in walk(config):
        if not isinstance(value, (str, int, float, bool, type(None))):
            problem(f"{where} config.{path}", f"{type(value).__name__} is not a value OmegaConf.create accepts")
    state = ckpt.get("model_state_dict", {})
    keys = list(state)
    # ModelLoader._analyze_state_dict_keys
    swin = any("encoder.encoder.swin" in k for k in keys)
    aspp = any(p in k for k in keys for p in ("bottleneck.branches", "bottleneck.conv_1x1", "bottleneck.global_pool"))
    if "model" not in config:
        print(f"note: {where}: no config.model, so ModelLoader detects the architecture from the keys "
              f"(SwinV2 hybrid detected: {swin and aspp})")
        return
    model = config["model"]
    check_with_omegaconf(where, config)
    if not isinstance(model, dict) or "_target_" not in model:
        problem(f"{where} config.model", "present without _target_: ModelLoader.create_model raises 'Model configuration must have _target_ field'")
        return
    diff = subset_differences(PYTHON_MODEL, model)
    if diff:
        problem(f"{where} config.model", f"not the Python SwinV2CnnAsppUNet block: {diff}")
    for key in ("img_size", "target_img_size"):
        if not isinstance(model.get("encoder", {}).get(key), int):
            problem(f"{where} config.model.encoder.{key}", "should be an int")
    if not isinstance(model.get("bottleneck", {}).get("dropout_rate"), float):
        problem(f"{where} config.model.bottleneck.dropout_rate", "should be a float")
    if not (swin and aspp):
        problem(where, "model_state_dict does not have the SwinV2 hybrid's keys")
    if golden_keys is not None and set(keys) != golden_keys:
        problem(where, f"load_state_dict(strict=True) would fail: {len(golden_keys - set(keys))} missing, "
                       f"{len(set(keys) - golden_keys)} unexpected keys against the Python model's key list")
    # ModelLoader.get_model_info reads these
    if not isinstance(config.get("data", {}).get("image_size"), int):
        problem(f"{where} config.data.image_size", "should be an int")


def check_with_omegaconf(where, config):
    """ModelLoader.load_config + _detect_architecture_from_checkpoint, where OmegaConf is installed (optional)."""
    try:
        from omegaconf import OmegaConf
    except ImportError:
        print("note: omegaconf not installed; the OmegaConf steps of ModelLoader are not replayed")
        return
    try:
        fallback = OmegaConf.create(config)
        detected = OmegaConf.create(dict(fallback))
        detected.model = OmegaConf.create(config["model"])
        model_config = detected.model
        if not hasattr(model_config, "_target_"):
            problem(f"{where} config.model", "OmegaConf sees no _target_")
        if not any(hasattr(model_config, c) for c in ("encoder", "bottleneck", "decoder")):
            problem(f"{where} config.model", "ModelLoader would not treat it as a hybrid architecture")
        for part in ("encoder", "bottleneck", "decoder"):
            if not hasattr(getattr(model_config, part), "_target_"):
                problem(f"{where} config.model.{part}", "no _target_: ModelLoader would fall back to the factory")
        kwargs = {k: v for k, v in model_config.items() if k not in {"_target_", "encoder", "bottleneck", "decoder"}}
        if kwargs != {"num_classes": 1, "final_activation": "sigmoid"}:
            problem(f"{where} config.model", f"extra SwinV2CnnAsppUNet arguments {kwargs}")
        print(f"note: {where}: OmegaConf {OmegaConf.to_yaml(model_config).count(chr(10))}-line model block replayed through ModelLoader's steps")
    except Exception as e:  # noqa: BLE001 - omegaconf raises its own error types
        problem(f"{where} config", f"OmegaConf could not take it: {type(e).__name__}: {e}")


def subset_differences(expected, actual, prefix=""):
    diffs = []
    for key, value in expected.items():
        path = f"{prefix}{key}"
        if key not in actual:
            diffs.append(f"{path} missing")
        elif isinstance(value, dict):
            if isinstance(actual[key], dict):
                diffs.extend(subset_differences(value, actual[key], path + "."))
            else:
                diffs.append(f"{path} is not a dict")
        elif actual[key] != value or type(actual[key]) is not type(value):
            diffs.append(f"{path} is {actual[key]!r}, expected {value!r}")
    return diffs


def walk(node, prefix=""):
    if isinstance(node, dict):
        for k, v in node.items():
            if not isinstance(k, str):
                yield f"{prefix}<key {k!r}>", object()
            yield from walk(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, f"{prefix}[{i}]")
    else:
        yield prefix, node


def read_golden(path):
    with open(path, encoding="utf-8") as f:
        return {line.split("\t")[0] for line in f if line.strip()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("experiment_dir")
    parser.add_argument("--golden-keys", help="the Python SwinV2CnnAsppUNet's state_dict key list (name<TAB>shape<TAB>dtype): "
                                              "checked against a checkpoint that carries config.model")
    args = parser.parse_args()
    folder = args.experiment_dir
    if not os.path.isdir(folder):
        sys.exit(f"{folder}: not a folder")
    golden = read_golden(args.golden_keys) if args.golden_keys else None

    check_structure(folder)
    try:
        config, config_summary = check_config_summary(folder)
        lines = metric_lines(folder)
        summary, best_epoch = check_summary(folder, lines, config)
        check_checkpoints(folder, best_epoch, golden)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        problem(folder, f"could not be read as the Python modules read it: {type(e).__name__}: {e}")
        config_summary, summary = {}, {}

    print(f"torch {torch.__version__}, PyYAML {yaml.__version__}: {folder}")
    print(f"  config_summary: {config_summary}")
    print("  metrics_summary: " + json.dumps({k: summary.get(k) for k in (
        "best_epoch", "best_iou", "best_f1", "best_precision", "best_recall", "final_loss", "training_time")}))
    print(f"  {len(problems)} problem(s)")
    for p in problems:
        print(f"PROBLEM {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
