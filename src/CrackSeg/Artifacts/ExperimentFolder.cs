using System.Globalization;
using System.Text.RegularExpressions;
using CrackSeg.Common;

namespace CrackSeg.Artifacts;

/// <summary>
/// The layout of one experiment folder, <c>&lt;output_dir&gt;/&lt;yyyyMMdd-HHmmss&gt;-&lt;name&gt;/</c>, as the
/// experiment-data-saving guide describes it (plus config.yaml and splits.json). Only paths: writing is the
/// saver's, the checkpoint store's and the run log's job.
/// </summary>
public sealed class ExperimentFolder
{
    /// <summary>Separates a duplicate folder's counter from the name; never part of a valid experiment name.</summary>
    private const char DuplicateMark = '+';
    private const string TimestampFormat = "yyyyMMdd-HHmmss";

    private ExperimentFolder(string root) => Root = Path.GetFullPath(root);

    public string Root { get; }
    public string MetricsDir => Path.Combine(Root, "metrics");
    public string LogsDir => Path.Combine(Root, "logs");
    public string CheckpointsDir => Path.Combine(Root, "checkpoints");

    public string CompleteSummaryJson => Path.Combine(MetricsDir, "complete_summary.json");
    public string MetricsJsonl => Path.Combine(MetricsDir, "metrics.jsonl");
    public string ValidationMetricsJson => Path.Combine(MetricsDir, "validation_metrics.json");
    public string TrainingLog => Path.Combine(LogsDir, "training.log");
    public string FinalResultsYaml => Path.Combine(Root, "final_results.yaml");
    public string ConfigYaml => Path.Combine(Root, "config.yaml");
    public string SplitsJson => Path.Combine(Root, "splits.json");
    /// <summary>Root-level copy of the best checkpoint (the evaluation module's entry point).</summary>
    public string BestModel => Path.Combine(Root, "best_model.pth");
    public string CheckpointBestModel => Path.Combine(CheckpointsDir, "best_model.pth");

    /// <summary>checkpoints/epoch_&lt;N&gt;.pth for a 1-based epoch.</summary>
    public string EpochCheckpoint(int epoch) =>
        epoch >= 1 ? Path.Combine(CheckpointsDir, $"epoch_{epoch}.pth") : throw new ArgumentOutOfRangeException(nameof(epoch), "epochs are 1-based");

    /// <summary>The epoch checkpoints present, by epoch ascending.</summary>
    public IReadOnlyList<(int Epoch, string Path)> EpochCheckpoints()
    {
        if (!Directory.Exists(CheckpointsDir)) return [];
        var found = new List<(int, string)>();
        foreach (var file in Directory.EnumerateFiles(CheckpointsDir, "epoch_*.pth"))
        {
            var m = Regex.Match(Path.GetFileName(file), @"^epoch_([1-9]\d{0,8})\.pth$");
            if (m.Success) found.Add((int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), file));
        }
        return found.OrderBy(f => f.Item1).ToList();
    }

    /// <summary>
    /// Creates <c>&lt;outputDir&gt;/&lt;yyyyMMdd-HHmmss&gt;-&lt;experimentName&gt;/</c> with metrics/, logs/ and
    /// checkpoints/. When that folder exists already (two runs in the same second), `+2`, `+3`, … is appended.
    /// </summary>
    public static ExperimentFolder Create(string outputDir, string experimentName, DateTimeOffset now)
    {
        ValidateName(experimentName);
        Directory.CreateDirectory(outputDir);
        string stem = $"{now.ToString(TimestampFormat, CultureInfo.InvariantCulture)}-{experimentName}";
        for (int n = 1; ; n++)
        {
            string candidate = Path.Combine(outputDir, n == 1 ? stem : $"{stem}{DuplicateMark}{n}");
            if (Directory.Exists(candidate)) continue;
            var folder = new ExperimentFolder(candidate);
            Directory.CreateDirectory(folder.Root);
            Directory.CreateDirectory(folder.MetricsDir);
            Directory.CreateDirectory(folder.LogsDir);
            Directory.CreateDirectory(folder.CheckpointsDir);
            return folder;
        }
    }

    /// <summary>Opens an existing experiment folder (one <see cref="Create"/> made); throws <see cref="InputException"/> otherwise.</summary>
    public static ExperimentFolder Open(string dir)
    {
        if (!Directory.Exists(dir))
            throw new InputException($"experiment folder '{dir}' does not exist");
        var folder = new ExperimentFolder(dir);
        var missing = new[] { folder.MetricsDir, folder.LogsDir, folder.CheckpointsDir }
            .Where(d => !Directory.Exists(d)).Select(d => Path.GetFileName(d) + "/").ToList();
        if (missing.Count > 0)
            throw new InputException($"'{dir}' is not an experiment folder: missing {string.Join(", ", missing)} (expected metrics/, logs/ and checkpoints/)");
        return folder;
    }

    /// <summary>The layout at <paramref name="dir"/> without checking it (the verifier reports what is missing).</summary>
    internal static ExperimentFolder At(string dir) => new(dir);

    /// <summary>
    /// The newest folder of <paramref name="experimentName"/> under <paramref name="outputDir"/> (by the
    /// timestamp in its name, then the duplicate counter), or null when there is none. Used by `--resume`
    /// without a path.
    /// </summary>
    public static ExperimentFolder? FindNewest(string outputDir, string experimentName)
    {
        ValidateName(experimentName);
        if (!Directory.Exists(outputDir)) return null;
        var pattern = new Regex($@"^(\d{{8}}-\d{{6}})-{Regex.Escape(experimentName)}(?:\{DuplicateMark}(\d+))?$");
        var newest = Directory.EnumerateDirectories(outputDir)
            .Select(d => (Dir: d, Match: pattern.Match(Path.GetFileName(d))))
            .Where(x => x.Match.Success)
            .Select(x => (x.Dir, Stamp: x.Match.Groups[1].Value,
                          Counter: x.Match.Groups[2].Success ? int.Parse(x.Match.Groups[2].Value, CultureInfo.InvariantCulture) : 1))
            .OrderByDescending(x => x.Stamp, StringComparer.Ordinal).ThenByDescending(x => x.Counter)
            .FirstOrDefault();
        return newest.Dir is null ? null : Open(newest.Dir);
    }

    private static void ValidateName(string name)
    {
        if (!Regex.IsMatch(name, "^[A-Za-z0-9._-]+$"))
            throw new InputException($"experiment.name '{name}': letters, digits, '.', '_' and '-' only");
    }

    public override string ToString() => Root;
}
