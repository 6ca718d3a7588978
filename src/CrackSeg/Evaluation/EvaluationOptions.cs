namespace CrackSeg.Evaluation;

/// <summary>What `crackseg evaluate` asks for; every optional value falls back to the experiment's config.</summary>
public sealed record EvaluationOptions
{
    /// <summary>The experiment folder (written by `crackseg train`).</summary>
    public required string Experiment { get; init; }
    /// <summary>"best" (best_model.pth), "last" (newest checkpoints/epoch_N.pth) or a .pth path (ours, Python crackseg, or a bare state_dict).</summary>
    public string Checkpoint { get; init; } = "best";
    /// <summary>"model" (the checkpoint's model weights) or "ema" (the weight average an epoch checkpoint of a run with training.ema holds).</summary>
    public string Weights { get; init; } = ModelCheckpoint.ModelWeights;
    /// <summary>"test" or "val": the split recorded in splits.json; "all": every pair of the dataset (<see cref="DataRoot"/>, else the recorded one), written to DIR/evaluation/&lt;dataset name&gt;/.</summary>
    public string Split { get; init; } = "test";
    /// <summary>Test-time augmentation: "none", "flip" (3 passes) or "d4" (8 passes).</summary>
    public string Tta { get; init; } = "none";
    /// <summary>Dataset root: with test/val, instead of the one recorded in splits.json (data moved); with all, any dataset.</summary>
    public string? DataRoot { get; init; }
    /// <summary>Probability threshold of the binary metrics; null: metrics.threshold of the config.</summary>
    public double? Threshold { get; init; }
    /// <summary>Pixel tolerance of the tolerance F-measure (crack papers use 2).</summary>
    public int TolerancePx { get; init; } = 2;
    /// <summary>Overlays written for the K best and the K worst images by F1 (0: none).</summary>
    public int Overlays { get; init; } = 5;
    /// <summary>cpu, cuda, cuda:N or auto; null: training.device of the config.</summary>
    public string? Device { get; init; }
    /// <summary>fp32, tf32, bf16 or fp16 (inference under autocast); null: training.precision of the config.</summary>
    public string? Precision { get; init; }
    /// <summary>Images per forward pass; null: training.batch_size of the config.</summary>
    public int? BatchSize { get; init; }
    /// <summary>Torch: the checkpoint in TorchSharp; Onnx: the exported model in ONNX Runtime (the file a user deploys).</summary>
    public InferenceBackend Backend { get; init; } = InferenceBackend.Torch;
    /// <summary>The model.onnx of the Onnx backend; null: DIR/export/model.onnx.</summary>
    public string? OnnxModel { get; init; }
    /// <summary>Output folder; null: DIR/evaluation for the test split, DIR/evaluation_val for val, DIR/evaluation/&lt;dataset name&gt; for all (+ "_onnx" for the Onnx backend).</summary>
    public string? OutputDir { get; init; }
}

/// <summary>Progress of an evaluation: <paramref name="Phase"/> is "evaluate" (batches) or "overlays" (images).</summary>
public sealed record EvaluationProgress(string Phase, int Done, int Total);
