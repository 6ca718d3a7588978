#!/usr/bin/env python3
"""ONNX's own checks on a file written by `crackseg export` (Debian python3-onnx, no ONNX Runtime needed).

usage: check_onnx.py MODEL.onnx

- onnx.checker.check_model(full_check=True): the proto, every node against its opset schema, and full
  shape inference with errors raised;
- shape inference (strict, with type checks) must derive the declared outputs: probability and logits
  [N, 1, S, S] for the input image [N, 3, S, S] with N symbolic;
- the manifest beside the file (<name>.json, format crackseg-onnx/1) must agree with the graph.
Exit 0 on success; any failure raises.
"""
import json
import os
import sys

import onnx
from onnx import shape_inference


def dims(value_info):
    return [d.dim_param if d.HasField("dim_param") else d.dim_value for d in value_info.type.tensor_type.shape.dim]


def main(path):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    inferred = shape_inference.infer_shapes(model, check_type=True, strict_mode=True)

    graph = inferred.graph
    inputs = {i.name: i for i in graph.input if i.name not in {t.name for t in graph.initializer}}
    assert list(inputs) == ["image"], f"inputs: {list(inputs)}"
    image = dims(inputs["image"])
    assert image[1] == 3 and isinstance(image[0], str) and image[2] == image[3] > 0, f"image dims {image}"
    size = image[2]
    outputs = {o.name: dims(o) for o in graph.output}
    assert set(outputs) == {"probability", "logits"}, f"outputs: {list(outputs)}"
    for name, shape in outputs.items():
        assert shape == [image[0], 1, size, size], f"{name}: {shape}"
    # Every intermediate got a shape from inference: nothing in the graph is left unknown.
    known = {v.name for v in graph.value_info} | {o.name for o in graph.output} | set(inputs)
    unknown = [o for n in graph.node for o in n.output if o and o not in known]
    assert not unknown, f"{len(unknown)} tensors without inferred shape, e.g. {unknown[:3]}"
    opset = {o.domain: o.version for o in model.opset_import}[""]
    meta = {p.key: p.value for p in model.metadata_props}

    manifest_path = os.path.splitext(path)[0] + ".json"
    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)
    assert manifest["format"] == "crackseg-onnx/1", manifest["format"]
    assert manifest["model_file"] == os.path.basename(path)
    assert manifest["input_shape"] == ["N", 3, size, size], manifest["input_shape"]
    assert manifest["opset"] == opset, (manifest["opset"], opset)
    assert [o["name"] for o in manifest["outputs"]] == ["probability", "logits"]
    assert float(meta["crackseg.threshold"]) == manifest["threshold"]
    assert len(manifest["source_checkpoint_sha256"]) == 64

    print(f"check_onnx: {path}: OK (onnx {onnx.__version__}, opset {opset}, {len(model.graph.node)} nodes, "
          f"input [N, 3, {size}, {size}], {len(graph.value_info)} inferred intermediates, preset {meta.get('crackseg.preset')})")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
