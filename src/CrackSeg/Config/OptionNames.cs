using System.ComponentModel.DataAnnotations;
using CrackSeg.Common.Precision;

namespace CrackSeg.Config;

/// <summary>The config keys whose value is one name out of a fixed list.</summary>
public enum OptionList { Presets, Optimizers, Losses, Schedulers, Precisions, Monitors }

/// <summary>
/// The one owner of every named option: the config validation (<see cref="OneOfAttribute"/>) and the factories
/// that build from a name (ModelPresets, OptimizerFactory, LossFactory, LearningRateSchedule, PrecisionMode,
/// ValidationMetrics) read the same list, so a name cannot pass validation and then fail at run time.
/// </summary>
public static class OptionNames
{
    public static readonly IReadOnlyList<string> Presets = ["nano", "seed", "tiny", "small", "base"];
    public static readonly IReadOnlyList<string> Optimizers = ["adamw", "adam", "sgd"];
    public static readonly IReadOnlyList<string> Losses = ["bce", "dice", "focal", "focal_dice", "bce_dice", "tversky"];
    public static readonly IReadOnlyList<string> Schedulers = ["cosine", "cosine_restarts", "step", "constant", "plateau"];
    /// <summary>Owned by <see cref="PrecisionMode"/>, which also builds each mode.</summary>
    public static IReadOnlyList<string> Precisions => PrecisionMode.Names;
    /// <summary>The dataset-level validation metrics (the `val_*` keys of metrics.jsonl, in the guide's order).</summary>
    public static readonly IReadOnlyList<string> Monitors =
        ["val_loss", "val_iou", "val_f1", "val_precision", "val_recall", "val_dice", "val_accuracy"];

    public static IReadOnlyList<string> Of(OptionList list) => list switch
    {
        OptionList.Presets => Presets,
        OptionList.Optimizers => Optimizers,
        OptionList.Losses => Losses,
        OptionList.Schedulers => Schedulers,
        OptionList.Precisions => Precisions,
        OptionList.Monitors => Monitors,
        _ => throw new ArgumentOutOfRangeException(nameof(list), list, null),
    };

    /// <summary>"expected one of a, b, c" as every unknown-name message words it.</summary>
    public static string Expected(OptionList list) => "expected one of " + string.Join(", ", Of(list));
}

/// <summary>Config validation: the value is one of the names of <see cref="OptionNames"/>' list.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class OneOfAttribute(OptionList list) : ValidationAttribute
{
    public OptionList List { get; } = list;

    public override bool IsValid(object? value) => value is string s && OptionNames.Of(List).Contains(s);
}
