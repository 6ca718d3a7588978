using CrackSeg.Common;

namespace CrackSeg.Data;

/// <summary>
/// The train/val/test split of the flat layout. Contract: pairs are ordered by
/// <c>Mix(seed, FNV-1a(stem))</c> (ties by stem), the first <c>n_train</c> go to train, the next
/// <c>n_val</c> to val, the rest to test; <c>n_val = round(n·r_val)</c>, <c>n_test = round(n·r_test)</c>,
/// train takes the remainder. The result depends only on the stems, the ratios and the seed — not on
/// directory listing order — and adding one file moves at most a few others across a boundary.
/// </summary>
public static class DatasetSplitter
{
    /// <summary>Checks <c>data.splits</c>: 2 or 3 non-negative ratios summing to 1 with a positive train share.</summary>
    public static double[] ValidateRatios(IReadOnlyList<double> ratios)
    {
        if (ratios.Count is not (2 or 3))
            throw new InputException($"data.splits must hold 3 ratios [train, val, test] (or 2: [train, val]); got {ratios.Count} values");
        if (ratios.Any(r => r < 0 || double.IsNaN(r)))
            throw new InputException($"data.splits must not contain negative values; got [{string.Join(", ", ratios)}]");
        double sum = ratios.Sum();
        if (Math.Abs(sum - 1.0) > 1e-6)
            throw new InputException($"data.splits must sum to 1; got [{string.Join(", ", ratios)}] (sum {sum:0.######})");
        if (ratios[0] <= 0)
            throw new InputException("data.splits: the train ratio must be greater than 0");
        return ratios.Count == 3 ? [ratios[0], ratios[1], ratios[2]] : [ratios[0], ratios[1], 0.0];
    }

    public static (int Train, int Val, int Test) Counts(int n, IReadOnlyList<double> ratios)
    {
        var r = ValidateRatios(ratios);
        int val = (int)Math.Round(n * r[1], MidpointRounding.AwayFromZero);
        int test = (int)Math.Round(n * r[2], MidpointRounding.AwayFromZero);
        // Training keeps at least one pair whenever there is one to give.
        while (n > 0 && val + test > n - 1)
        {
            if (test >= val && test > 0) test--;
            else val--;
        }
        return (n - val - test, val, test);
    }

    /// <summary>Splits <paramref name="pairs"/>; each split comes back sorted by stem.</summary>
    public static (List<SamplePair> Train, List<SamplePair> Val, List<SamplePair> Test) Split(
        IReadOnlyList<SamplePair> pairs, IReadOnlyList<double> ratios, int seed)
    {
        var ordered = pairs
            .Select(p => (Key: DeterministicRng.Mix((ulong)seed, DeterministicRng.HashString(p.Stem)), Pair: p))
            .OrderBy(x => x.Key).ThenBy(x => x.Pair.Stem, StringComparer.Ordinal)
            .Select(x => x.Pair).ToList();
        var (nTrain, nVal, _) = Counts(ordered.Count, ratios);
        return (SortByStem(ordered.Take(nTrain)), SortByStem(ordered.Skip(nTrain).Take(nVal)), SortByStem(ordered.Skip(nTrain + nVal)));
    }

    internal static List<SamplePair> SortByStem(IEnumerable<SamplePair> pairs) =>
        pairs.OrderBy(p => p.Stem, StringComparer.Ordinal).ThenBy(p => p.ImagePath, StringComparer.Ordinal).ToList();
}
