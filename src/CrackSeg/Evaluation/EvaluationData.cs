using CrackSeg.Artifacts;
using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Data;

namespace CrackSeg.Evaluation;

/// <summary>What `evaluate --split` names: a split recorded in splits.json, or every pair of a dataset.</summary>
public enum EvaluationTarget { Test, Val, All }

public static class EvaluationTargets
{
    public const string Choices = "test | val | all";

    public static string ToKey(this EvaluationTarget target) => target switch
    {
        EvaluationTarget.Val => "val",
        EvaluationTarget.All => "all",
        _ => "test",
    };

    /// <exception cref="InputException">Anything but test, val or all.</exception>
    public static EvaluationTarget Parse(string? split) => split switch
    {
        "test" => EvaluationTarget.Test,
        "val" => EvaluationTarget.Val,
        "all" => EvaluationTarget.All,
        _ => throw new InputException($"--split: expected {Choices}, got '{split}'"),
    };
}

/// <summary>
/// The images an evaluation runs on and where its files go. The recorded splits (test, val) re-create the
/// experiment's splits.json and write DIR/evaluation/ (test) or DIR/evaluation_val/ (val), as they always have;
/// <c>all</c> takes every pair of a dataset in any layout the loader reads (no train split, no splits.json
/// needed) and writes DIR/evaluation/&lt;dataset name&gt;/, so evaluations of several datasets sit side by side.
/// </summary>
internal sealed record EvaluationData(DatasetIndex Index, DataConfig Config, IReadOnlyList<SplitName> Splits, string Description, string OutputDir, string? DatasetFolder)
{
    /// <summary>File names in DIR/evaluation/ that a dataset folder must not take.</summary>
    private static readonly string[] Reserved = [EvaluationFiles.OverlaysFolder, EvaluationFiles.MetricsJson, EvaluationFiles.PerImageCsv, EvaluationFiles.PrCurvePng];

    public static EvaluationData Resolve(ExperimentFolder folder, CrackSegConfig config, EvaluationTarget target, EvaluationOptions options, RunLog log)
    {
        if (target == EvaluationTarget.All) return WholeDataset(folder, config, options, log);
        if (!File.Exists(folder.SplitsJson))
            throw new InputException($"experiment folder '{folder.Root}' has no splits.json (expected {folder.SplitsJson}, written by `crackseg train`); " +
                                     "evaluate a whole dataset with --split all --data DIR");
        var split = target == EvaluationTarget.Val ? SplitName.Val : SplitName.Test;
        var index = DatasetIndex.FromSplits(SplitsFile.Read(folder.SplitsJson), config.Data, log, options.DataRoot);
        if (index[split].Count == 0)
            throw new InputException($"{folder.SplitsJson}: the {split.ToKey()} split has no usable images in {index.Root}" +
                                     (split == SplitName.Test ? "; evaluate the validation split with --split val, or every pair with --split all" : ""));
        string output = Path.Combine(folder.Root, split == SplitName.Test ? "evaluation" : "evaluation_val");
        return new EvaluationData(index, config.Data, [split], split.ToKey(), output, null);
    }

    /// <summary>
    /// Every pair under --data (else the dataset the experiment recorded). Geometry (data.fit, image_size) and
    /// decoding settings stay the experiment's: the model sees the scale it was trained at.
    /// </summary>
    private static EvaluationData WholeDataset(ExperimentFolder folder, CrackSegConfig config, EvaluationOptions options, RunLog log)
    {
        string root = options.DataRoot ?? RecordedRoot(folder, config);
        var data = config.Data with { Root = root, SplitFile = null };
        var index = DatasetIndex.Everything(data, root, log);
        string name = options.DataRoot is null && config.Data.Dataset is { Length: > 0 } recorded ? recorded : CrackSeg.Config.DatasetName.Of(root);
        string folderName = FolderName(name);
        data = data with { Dataset = name };
        return new EvaluationData(index, data, SplitNames.All, $"'{name}' (all)", Path.Combine(folder.Root, "evaluation", folderName), folderName);
    }

    private static string RecordedRoot(ExperimentFolder folder, CrackSegConfig config) =>
        File.Exists(folder.SplitsJson) && SplitsFile.Read(folder.SplitsJson).Root is { Length: > 0 } root ? root : config.Data.Root;

    /// <summary>The dataset's name as a single folder name (no separators or dots that climb out), not one of evaluate's own files.</summary>
    internal static string FolderName(string name)
    {
        string safe = string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_')).Trim('.');
        if (safe.Length == 0) safe = "dataset";
        return Reserved.Contains(safe, StringComparer.OrdinalIgnoreCase) ? safe + "_dataset" : safe;
    }
}
