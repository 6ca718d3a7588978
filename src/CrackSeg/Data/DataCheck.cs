using System.Text;
using CrackSeg.Common;
using CrackSeg.Config;

namespace CrackSeg.Data;

/// <summary>The findings of <see cref="DataCheck.Run"/>.</summary>
public sealed record DataCheckReport
{
    public required string Root { get; init; }
    public required DatasetLayout Layout { get; init; }
    /// <summary>Pairs that index and decode cleanly.</summary>
    public int PairCount { get; init; }
    public int TrainCount { get; init; }
    public int ValCount { get; init; }
    public int TestCount { get; init; }
    /// <summary>Image sizes ("WxH") with how many usable pairs have each, most common first.</summary>
    public IReadOnlyList<(string Size, int Count)> Sizes { get; init; } = [];
    /// <summary>Crack-pixel ratio over usable masks (0–1).</summary>
    public double CrackRatioMin { get; init; }
    public double CrackRatioMean { get; init; }
    public double CrackRatioMax { get; init; }
    /// <summary>Masks with values other than 0 and full scale (binarised at data.mask_threshold).</summary>
    public int NonBinaryMasks { get; init; }
    /// <summary>Every problem found, sorted by path.</summary>
    public IReadOnlyList<DataProblem> Problems { get; init; } = [];
    /// <summary>What would stop training with this config (fail mode: any fatal problem; always: no training pair).</summary>
    public string? FatalReason { get; init; }
    public bool HasFatalProblem => FatalReason is not null;
    public double Seconds { get; init; }

    /// <summary>Plain-text report for the console.</summary>
    public string Format()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Data check: {Root}");
        sb.AppendLine($"  layout      {Layout.Describe()}");
        sb.AppendLine($"  pairs       {PairCount} usable (train {TrainCount} / val {ValCount} / test {TestCount})");
        sb.AppendLine($"  sizes       {(Sizes.Count == 0 ? "-" : string.Join(", ", Sizes.Select(s => $"{s.Size} ({s.Count})")))}");
        sb.AppendLine(PairCount == 0
            ? "  crack px    -"
            : $"  crack px    min {CrackRatioMin:P2}  mean {CrackRatioMean:P2}  max {CrackRatioMax:P2}");
        if (Problems.Count == 0) sb.AppendLine("  problems    none");
        else
        {
            int fatal = Problems.Count(p => p.IsFatal);
            sb.AppendLine($"  problems    {Problems.Count} ({fatal} excluding a pair, {Problems.Count - fatal} warning{(Problems.Count - fatal == 1 ? "" : "s")})");
            foreach (var p in Problems) sb.AppendLine($"    - [{p.Kind}] {p.Path}: {p.Message}");
        }
        sb.Append(HasFatalProblem ? $"Result: FAILED — {FatalReason}" : Problems.Count == 0 ? "Result: OK" : "Result: OK with warnings");
        sb.AppendLine($" ({Seconds:0.0} s)");
        return sb.ToString();
    }
}

/// <summary>
/// <c>crackseg data check</c>: indexes a dataset collecting every problem (whatever
/// <c>data.on_error</c> says), decodes every pair once to find files the header check cannot
/// (corrupt pixel data) and to measure crack-pixel ratios, and reports.
/// </summary>
public static class DataCheck
{
    public static DataCheckReport Run(string root, DataConfig cfg, RunLog? log = null)
    {
        log ??= RunLog.Silent;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var collecting = cfg with { Root = root, OnError = "skip" };
        var quiet = RunLog.Silent;
        var index = DatasetIndex.Build(collecting, 0, quiet, requireTrain: false);

        var pairs = index.All.ToList();
        var results = new (MaskStats Stats, DataProblem? Problem)[pairs.Count];
        Parallel.For(0, pairs.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
            results[i] = Decode(pairs[i], cfg.MaskThreshold));

        var problems = index.Problems.ToList();
        var good = new List<(SamplePair Pair, MaskStats Stats)>();
        var bad = new HashSet<SamplePair>();
        for (int i = 0; i < pairs.Count; i++)
        {
            if (results[i].Problem is { } p) { problems.Add(p); bad.Add(pairs[i]); }
            else good.Add((pairs[i], results[i].Stats));
        }
        int nonBinary = good.Count(g => g.Stats.NonBinary > 0);
        if (nonBinary > 0)
        {
            long pixels = good.Sum(g => g.Stats.NonBinary);
            var first = good.First(g => g.Stats.NonBinary > 0).Pair;
            problems.Add(new DataProblem(DataProblemKind.NonBinaryMask, first.MaskPath,
                $"{nonBinary} of {good.Count} masks are not binary: {pixels:N0} pixels lie strictly between 0 and full scale; they are binarised at data.mask_threshold={cfg.MaskThreshold}"));
        }
        problems = problems.OrderBy(p => p.Path, StringComparer.Ordinal).ThenBy(p => p.Kind).ToList();

        int train = index.Train.Count(p => !bad.Contains(p));
        string? fatal = null;
        if (good.Count == 0) fatal = "no usable image/mask pairs";
        else if (train == 0) fatal = "the train split has no usable pairs";
        else if (!DataProblemPolicy.Skips(cfg) && problems.Any(p => p.IsFatal))
            fatal = $"{problems.Count(p => p.IsFatal)} problem(s) would stop training with data.on_error=fail (set data.on_error=skip to leave those pairs out)";

        var ratios = good.Select(g => g.Stats.ForegroundRatio).ToList();
        var report = new DataCheckReport
        {
            Root = index.Root,
            Layout = index.Layout,
            PairCount = good.Count,
            TrainCount = train,
            ValCount = index.Val.Count(p => !bad.Contains(p)),
            TestCount = index.Test.Count(p => !bad.Contains(p)),
            Sizes = good.GroupBy(g => $"{g.Pair.Width}x{g.Pair.Height}")
                .Select(g => (g.Key, g.Count())).OrderByDescending(s => s.Item2).ThenBy(s => s.Key, StringComparer.Ordinal).ToList(),
            CrackRatioMin = ratios.Count > 0 ? ratios.Min() : 0,
            CrackRatioMean = ratios.Count > 0 ? ratios.Average() : 0,
            CrackRatioMax = ratios.Count > 0 ? ratios.Max() : 0,
            NonBinaryMasks = nonBinary,
            Problems = problems,
            FatalReason = fatal,
            Seconds = watch.Elapsed.TotalSeconds,
        };
        log.Debug($"data check: {report.PairCount} pairs, {report.Problems.Count} problems in {report.Seconds:0.00} s");
        return report;
    }

    private static (MaskStats, DataProblem?) Decode(SamplePair pair, int threshold) =>
        SampleDecoder.TryDecodePair(pair, threshold, GC.AllocateUninitializedArray<byte>(checked((int)pair.PixelCount * 4)));
}
