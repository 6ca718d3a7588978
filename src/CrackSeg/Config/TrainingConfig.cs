using System.ComponentModel.DataAnnotations;

namespace CrackSeg.Config;

/// <summary>The `training` section.</summary>
public sealed record TrainingConfig
{
    [Range(1, 100000)] public int Epochs { get; init; } = 10;
    [Range(1, 4096)] public int BatchSize { get; init; } = 4;
    /// <summary>auto | cpu | cuda | cuda:N</summary>
    [RegularExpression(@"^(auto|cpu|cuda(:\d+)?)$", ErrorMessage = "one of auto, cpu, cuda, cuda:N")]
    public string Device { get; init; } = "auto";
    /// <summary>Intra-op CPU threads; 0 keeps LibTorch's default.</summary>
    [Range(0, 1024)] public int Threads { get; init; } = 0;
    [OneOf(OptionList.Optimizers)]
    public string Optimizer { get; init; } = "adamw";
    [Range(0.0, 10.0)] public double LearningRate { get; init; } = 1e-4;
    /// <summary>Stated explicitly: TorchSharp's AdamW defaults to 0, PyTorch's to 0.01.</summary>
    [Range(0.0, 10.0)] public double WeightDecay { get; init; } = 0.01;
    [Range(0.0, 1.0)] public double Momentum { get; init; } = 0.9;
    [Range(0.0, 1.0)] public double Beta1 { get; init; } = 0.9;
    [Range(0.0, 1.0)] public double Beta2 { get; init; } = 0.999;
    public LossConfig Loss { get; init; } = new();
    public SchedulerConfig Scheduler { get; init; } = new();
    [Range(1, 1024)] public int GradAccumSteps { get; init; } = 1;
    /// <summary>Global-norm clip; 0 disables clipping (the norm is still tracked).</summary>
    [Range(0.0, 1e6)] public double GradClip { get; init; } = 1.0;
    /// <summary>fp32 | tf32 | bf16 | fp16 (see Common/Precision/PrecisionMode): autocast around forward + loss, float32 weights.</summary>
    [OneOf(OptionList.Precisions)]
    public string Precision { get; init; } = "fp32";
    /// <summary>adamw/adam as LibTorch's fused kernel (one call per group; bad steps skipped on the device); false: the per-tensor step.</summary>
    public bool FusedOptimizer { get; init; } = true;
    [Range(1, 100000)] public int ValEvery { get; init; } = 1;
    public EarlyStoppingConfig EarlyStopping { get; init; } = new();
    [Range(1, 100000)] public int MaxBadSteps { get; init; } = 10;
    public CheckpointConfig Checkpoint { get; init; } = new();
    /// <summary>Exponential moving average of the weights (timm's ModelEmaV3), used for validation and best_model.pth.</summary>
    public EmaConfig Ema { get; init; } = new();
}

/// <summary>The `training.ema` section: decay after warm-up as timm's ModelEmaV3.</summary>
public sealed record EmaConfig
{
    public bool Enabled { get; init; } = false;
    /// <summary>The decay once warmed up (timm's default 0.9998 for ModelEmaV3 recipes).</summary>
    [Range(0.0, 1.0)] public double Decay { get; init; } = 0.9998;
    /// <summary>Warm-up: decay_t = min(decay, 1 − (1 + t)^(−warmup_power)) for optimizer step t, so early averages follow the weights.</summary>
    public bool Warmup { get; init; } = true;
    [Range(0.01, 10.0)] public double WarmupPower { get; init; } = 2.0 / 3.0;
}

public sealed record LossConfig
{
    [OneOf(OptionList.Losses)]
    public string Name { get; init; } = "focal_dice";
    /// <summary>BCE positive-class weight; 1 is plain BCE.</summary>
    [Range(0.0, 1e4)] public double PosWeight { get; init; } = 1.0;
    [Range(0.0, 1.0)] public double FocalAlpha { get; init; } = 0.25;
    [Range(0.0, 10.0)] public double FocalGamma { get; init; } = 2.0;
    [Range(0.0, 1e3)] public double DiceSmooth { get; init; } = 1.0;
    [Range(0.0, 1.0)] public double TverskyAlpha { get; init; } = 0.3;
    [Range(0.0, 1.0)] public double TverskyBeta { get; init; } = 0.7;
    /// <summary>Weight of the first term of a composite loss (focal in focal_dice, bce in bce_dice).</summary>
    [Range(0.0, 1e3)] public double PrimaryWeight { get; init; } = 0.6;
    /// <summary>Weight of the dice term of a composite loss.</summary>
    [Range(0.0, 1e3)] public double DiceWeight { get; init; } = 0.4;
    /// <summary>Weight of an added soft-clDice term (0: none); any loss above plus cldice_weight·clDice.</summary>
    [Range(0.0, 1e3)] public double CldiceWeight { get; init; } = 0.0;
    /// <summary>Soft-skeleton erosions of the clDice term (cracks up to about 2·n + 1 pixels wide are thinned).</summary>
    [Range(1, 100)] public int CldiceIterations { get; init; } = 10;
}

public sealed record SchedulerConfig
{
    [OneOf(OptionList.Schedulers)]
    public string Name { get; init; } = "cosine";
    [Range(0.0, 1e6)] public double WarmupEpochs { get; init; } = 0;
    [Range(0.0, 10.0)] public double EtaMin { get; init; } = 1e-6;
    /// <summary>cosine_restarts: first cycle length in epochs.</summary>
    [Range(1, 100000)] public int T0 { get; init; } = 10;
    [Range(1, 100)] public int TMult { get; init; } = 2;
    /// <summary>step: epochs between decays.</summary>
    [Range(1, 100000)] public int StepSize { get; init; } = 30;
    [Range(0.0, 1.0)] public double Gamma { get; init; } = 0.1;
    /// <summary>plateau: epochs without improvement of early_stopping.monitor before the LR is cut by `factor`.</summary>
    [Range(1, 100000)] public int Patience { get; init; } = 5;
    [Range(0.0, 1.0)] public double Factor { get; init; } = 0.5;
}

public sealed record EarlyStoppingConfig
{
    public bool Enabled { get; init; } = true;
    [OneOf(OptionList.Monitors)]
    public string Monitor { get; init; } = "val_iou";
    [AllowedValues("max", "min")]
    public string Mode { get; init; } = "max";
    [Range(1, 100000)] public int Patience { get; init; } = 10;
    [Range(0.0, 1e6)] public double MinDelta { get; init; } = 0.0;
}

public sealed record CheckpointConfig
{
    [Range(1, 100000)] public int Every { get; init; } = 1;
    [Range(1, 100000)] public int KeepLast { get; init; } = 3;
}
