using CrackSeg.Common;
using CrackSeg.Config;

namespace CrackSeg.Data;

/// <summary>
/// The dataset after validation: usable pairs per split, the files left out (skip mode) and every
/// problem found. Built from a root folder (<see cref="Build"/>) or re-created exactly from an
/// experiment's <c>splits.json</c> (<see cref="FromSplits"/>), so evaluation sees the same test images.
/// </summary>
public sealed class DatasetIndex
{
    internal DatasetIndex(string root, DatasetLayout layout, int? seed, double[]? ratios, string? splitFile,
        List<SamplePair> train, List<SamplePair> val, List<SamplePair> test,
        List<ExcludedFile> excluded, List<DataProblem> problems)
    {
        Root = root;
        Layout = layout;
        Seed = seed;
        Ratios = ratios;
        SplitFile = splitFile;
        Train = train;
        Val = val;
        Test = test;
        Excluded = excluded;
        Problems = problems;
    }

    /// <summary>Absolute path of the dataset root.</summary>
    public string Root { get; }
    public DatasetLayout Layout { get; }
    /// <summary>The split seed (flat layout); null where the split did not come from a seed.</summary>
    public int? Seed { get; }
    /// <summary>[train, val, test] ratios (flat layout); null otherwise.</summary>
    public IReadOnlyList<double>? Ratios { get; }
    /// <summary>The stem-list file the split came from (layout c), if any.</summary>
    public string? SplitFile { get; }
    public IReadOnlyList<SamplePair> Train { get; }
    public IReadOnlyList<SamplePair> Val { get; }
    public IReadOnlyList<SamplePair> Test { get; }
    /// <summary>Files left out in skip mode, with the reason (sorted by path).</summary>
    public IReadOnlyList<ExcludedFile> Excluded { get; }
    /// <summary>Every problem found, fatal or warning (sorted by path).</summary>
    public IReadOnlyList<DataProblem> Problems { get; }

    public IReadOnlyList<SamplePair> this[SplitName split] => split switch
    {
        SplitName.Train => Train,
        SplitName.Val => Val,
        _ => Test,
    };

    /// <summary>All usable pairs: train, then val, then test.</summary>
    public IEnumerable<SamplePair> All => Train.Concat(Val).Concat(Test);
    public int Count => Train.Count + Val.Count + Test.Count;

    /// <summary>
    /// Finds the pairs under <c>data.root</c> (layout a, b or c), validates every file (headers
    /// only; pixels are decoded later by <see cref="SampleCache"/>), applies <c>data.on_error</c>
    /// and splits. Throws <see cref="InputException"/> for a missing root, bad split settings, a
    /// problem in fail mode, or no usable training pair.
    /// </summary>
    public static DatasetIndex Build(DataConfig data, int seed, RunLog log) => Build(data, seed, log, requireTrain: true);

    /// <summary><see cref="Build(DataConfig, int, RunLog)"/>; <paramref name="requireTrain"/> false lets a check report an empty dataset instead of throwing.</summary>
    internal static DatasetIndex Build(DataConfig data, int seed, RunLog log, bool requireTrain)
    {
        string root = RequireRoot(data.Root, "data.root");
        var ratios = DatasetSplitter.ValidateRatios(data.Splits);

        if (!string.IsNullOrWhiteSpace(data.SplitFile))
        {
            var lists = SplitsFile.Read(data.SplitFile);
            var layout = lists.Layout == DatasetLayout.SplitFolders ? DatasetLayout.SplitFolders : DatasetLayout.SplitFile;
            return FromLists(root, layout, null, null, Path.GetFullPath(data.SplitFile), lists, data, log, requireTrain);
        }

        bool flat = Directory.Exists(Path.Combine(root, "images"));
        bool folders = Directory.Exists(Path.Combine(root, "train"));
        if (flat && folders)
            throw new InputException($"data.root: {root} has both images/ and train/; keep one layout (images/ + masks/, or train|val|test/{{images,masks}})");
        if (flat)
        {
            RequireMasksFolder(root);
            var (candidates, problems) = PairScanner.Scan(Path.Combine(root, "images"), Path.Combine(root, "masks"));
            var (pairs, fileProblems) = PairInspector.Inspect(candidates, data.MaxPixels);
            problems.AddRange(fileProblems);
            var excluded = DataProblemPolicy.Apply(problems, data, log, root);
            var (train, val, test) = DatasetSplitter.Split(pairs, ratios, seed);
            return Finish(new DatasetIndex(root, DatasetLayout.Flat, seed, ratios, null, train, val, test, excluded, problems), log, requireTrain);
        }
        if (folders) return BuildFromFolders(root, data, log, requireTrain);
        throw new InputException(
            $"data.root: {root} holds no dataset: expected {Path.Combine(root, "images")} + {Path.Combine(root, "masks")}, or {Path.Combine(root, "train", "images")} + {Path.Combine(root, "train", "masks")} (and val/, test/)");
    }

    /// <summary>
    /// Rebuilds the index an experiment trained on from its <c>splits.json</c>: same stems in the
    /// same splits, re-validated. <paramref name="root"/> overrides the recorded root (a dataset moved
    /// to another machine); otherwise the recorded root, then <c>data.root</c>, is used.
    /// </summary>
    public static DatasetIndex FromSplits(SplitsFile splits, DataConfig data, RunLog log, string? root = null)
    {
        string resolvedRoot = RequireRoot(root ?? splits.Root ?? data.Root, root is not null ? "root" : splits.Root is not null ? "splits.json root" : "data.root");
        var layout = splits.Layout ?? DatasetLayout.Flat;
        return FromLists(resolvedRoot, layout, splits.Seed, splits.Ratios?.ToArray(), splits.SourceSplitFile, splits, data, log);
    }

    /// <summary>
    /// Every pair under <paramref name="root"/>, for evaluating a model on a whole dataset (`evaluate --split
    /// all`): layout (a) puts all its pairs in <see cref="Test"/>; layout (b) keeps each folder's pairs in its
    /// split, any of train/, val/, test/ may be missing, and stems are qualified by their folder
    /// ("test/001") since the folders may reuse names. No train split is required and no split file is read.
    /// </summary>
    /// <exception cref="InputException">No such folder, no known layout, a problem in fail mode, or no usable pair.</exception>
    public static DatasetIndex Everything(DataConfig data, string root, RunLog log)
    {
        root = RequireRoot(root, "--data");
        bool flat = Directory.Exists(Path.Combine(root, "images"));
        var folders = SplitNames.All.Where(s => Directory.Exists(Path.Combine(root, s.ToKey()))).ToList();
        if (flat && folders.Count > 0)
            throw new InputException($"--data: {root} has both images/ and {folders[0].ToKey()}/; keep one layout (images/ + masks/, or train|val|test/{{images,masks}})");
        if (!flat && folders.Count == 0)
            throw new InputException($"--data: {root} holds no dataset: expected {Path.Combine(root, "images")} + {Path.Combine(root, "masks")}, or train|val|test/{{images,masks}} (any of them)");

        var problems = new List<DataProblem>();
        var splitPairs = new[] { new List<SamplePair>(), new List<SamplePair>(), new List<SamplePair>() };
        foreach (var split in flat ? [SplitName.Test] : folders)
        {
            string dir = flat ? root : Path.Combine(root, split.ToKey());
            RequireMasksFolder(dir, requireImages: true);
            var (candidates, scanProblems) = PairScanner.Scan(Path.Combine(dir, "images"), Path.Combine(dir, "masks"));
            var (pairs, fileProblems) = PairInspector.Inspect(candidates, data.MaxPixels);
            problems.AddRange(scanProblems);
            problems.AddRange(fileProblems);
            splitPairs[(int)split] = DatasetSplitter.SortByStem(flat ? pairs : pairs.Select(p => p with { Stem = $"{split.ToKey()}/{p.Stem}" }));
        }
        problems.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path) is var c && c != 0 ? c : a.Kind.CompareTo(b.Kind));
        var excluded = DataProblemPolicy.Apply(problems, data, log, root);
        var index = new DatasetIndex(root, flat ? DatasetLayout.Flat : DatasetLayout.SplitFolders, null, null, null,
            splitPairs[0], splitPairs[1], splitPairs[2], excluded, problems);
        if (index.Count == 0)
            throw new InputException($"--data: no usable image/mask pairs in {root} ({excluded.Count} file(s) excluded)");
        log.Info($"data: {index.Count} pairs in {root} ({index.Layout.Describe()}), all evaluated" +
                 (excluded.Count > 0 ? $"; {excluded.Count} file(s) excluded" : ""));
        return index;
    }

    private static DatasetIndex BuildFromFolders(string root, DataConfig data, RunLog log, bool requireTrain)
    {
        var problems = new List<DataProblem>();
        var splitPairs = new List<SamplePair>[3];
        foreach (var split in SplitNames.All)
        {
            string dir = Path.Combine(root, split.ToKey());
            if (split == SplitName.Train) RequireMasksFolder(dir, requireImages: true);
            var (candidates, scanProblems) = PairScanner.Scan(Path.Combine(dir, "images"), Path.Combine(dir, "masks"));
            var (pairs, fileProblems) = PairInspector.Inspect(candidates, data.MaxPixels);
            problems.AddRange(scanProblems);
            problems.AddRange(fileProblems);
            splitPairs[(int)split] = DatasetSplitter.SortByStem(pairs);
        }
        var excluded = DataProblemPolicy.Apply(problems, data, log, root);
        return Finish(new DatasetIndex(root, DatasetLayout.SplitFolders, null, null, null,
            splitPairs[0], splitPairs[1], splitPairs[2], excluded, problems), log, requireTrain);
    }

    private static DatasetIndex FromLists(string root, DatasetLayout layout, int? seed, double[]? ratios, string? splitFile,
        SplitsFile lists, DataConfig data, RunLog log, bool requireTrain = true)
    {
        var problems = new List<DataProblem>();
        var splitPairs = new List<SamplePair>[3];
        string listedIn = splitFile ?? "the split list";
        if (layout == DatasetLayout.SplitFolders)
        {
            foreach (var split in SplitNames.All)
            {
                string dir = Path.Combine(root, split.ToKey());
                var stems = new HashSet<string>(lists[split], StringComparer.Ordinal);
                var (candidates, scanProblems) = PairScanner.Scan(Path.Combine(dir, "images"), Path.Combine(dir, "masks"), stems, listedIn);
                var (pairs, fileProblems) = PairInspector.Inspect(candidates, data.MaxPixels);
                problems.AddRange(scanProblems);
                problems.AddRange(fileProblems);
                splitPairs[(int)split] = DatasetSplitter.SortByStem(pairs);
            }
        }
        else
        {
            RequireMasksFolder(root);
            var all = new HashSet<string>(lists.Train.Concat(lists.Val).Concat(lists.Test), StringComparer.Ordinal);
            var (candidates, scanProblems) = PairScanner.Scan(Path.Combine(root, "images"), Path.Combine(root, "masks"), all, listedIn);
            var (pairs, fileProblems) = PairInspector.Inspect(candidates, data.MaxPixels);
            problems.AddRange(scanProblems);
            problems.AddRange(fileProblems);
            var byStem = pairs.ToDictionary(p => p.Stem, StringComparer.Ordinal);
            foreach (var split in SplitNames.All)
                splitPairs[(int)split] = DatasetSplitter.SortByStem(lists[split].Where(byStem.ContainsKey).Select(s => byStem[s]));
        }
        var excluded = DataProblemPolicy.Apply(problems, data, log, root);
        return Finish(new DatasetIndex(root, layout, seed, ratios, splitFile,
            splitPairs[0], splitPairs[1], splitPairs[2], excluded, problems), log, requireTrain);
    }

    /// <summary>A copy without the pairs whose files failed to decode (skip mode), used by <see cref="SampleCache"/>.</summary>
    internal DatasetIndex WithoutPairs(IReadOnlyCollection<(SamplePair Pair, DataProblem Problem)> failed, IReadOnlyList<DataProblem> warnings)
    {
        if (failed.Count == 0 && warnings.Count == 0) return this;
        var drop = failed.Select(f => f.Pair).ToHashSet();
        var problems = Problems.Concat(failed.Select(f => f.Problem)).Concat(warnings)
            .OrderBy(p => p.Path, StringComparer.Ordinal).ThenBy(p => p.Kind).ToList();
        var excluded = Excluded.Concat(failed.Select(f => new ExcludedFile(f.Problem.Path, f.Pair.Stem, f.Problem.Kind, f.Problem.Message)))
            .OrderBy(e => e.File, StringComparer.Ordinal).ToList();
        return new DatasetIndex(Root, Layout, Seed, Ratios?.ToArray(), SplitFile,
            Train.Where(p => !drop.Contains(p)).ToList(), Val.Where(p => !drop.Contains(p)).ToList(),
            Test.Where(p => !drop.Contains(p)).ToList(), excluded, problems);
    }

    private static DatasetIndex Finish(DatasetIndex index, RunLog log, bool requireTrain)
    {
        var problems = (List<DataProblem>)index.Problems;
        problems.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path) is var c && c != 0 ? c : a.Kind.CompareTo(b.Kind));
        if (index.Train.Count == 0 && requireTrain)
        {
            throw new InputException(index.Count == 0
                ? $"data.root: no usable image/mask pairs in {index.Root} ({index.Excluded.Count} file(s) excluded)"
                : $"data: the train split of {index.Root} is empty ({index.Count} usable pairs in val/test); check data.splits or the train folder");
        }
        foreach (var split in new[] { SplitName.Val, SplitName.Test })
        {
            bool expected = split == SplitName.Val || index.Layout != DatasetLayout.Flat || (index.Ratios?[2] ?? 0) > 0;
            if (index[split].Count == 0 && expected)
            {
                var warning = new DataProblem(DataProblemKind.EmptySplit, index.Root, $"the {split.ToKey()} split is empty");
                problems.Add(warning);
                log.Warning($"data: {warning.Message} ({index.Root})");
            }
        }
        log.Info($"data: {index.Count} pairs in {index.Root} ({index.Layout.Describe()}): " +
                 $"train {index.Train.Count} / val {index.Val.Count} / test {index.Test.Count}" +
                 (index.Seed is { } s && index.Layout == DatasetLayout.Flat ? $" (seed {s})" : "") +
                 (index.Excluded.Count > 0 ? $"; {index.Excluded.Count} file(s) excluded" : ""));
        return index;
    }

    private static string RequireRoot(string root, string key)
    {
        if (string.IsNullOrWhiteSpace(root)) throw new InputException($"{key} is empty: set it to the dataset folder");
        string full = Path.GetFullPath(root);
        if (!Directory.Exists(full))
            throw new InputException($"{key}: folder {root} does not exist (expected images/ + masks/, or train|val|test/{{images,masks}})");
        return full;
    }

    private static void RequireMasksFolder(string dir, bool requireImages = false)
    {
        if (requireImages && !Directory.Exists(Path.Combine(dir, "images")))
            throw new InputException($"data.root: {Path.Combine(dir, "images")} does not exist (expected {dir}/images and {dir}/masks)");
        if (!Directory.Exists(Path.Combine(dir, "masks")))
            throw new InputException($"data.root: {Path.Combine(dir, "masks")} does not exist (expected the masks next to {Path.Combine(dir, "images")}, same stems, .png)");
    }
}
