namespace CrackSeg.Data;

/// <summary>Inspects both files of each candidate pair (in parallel) and checks that their sizes agree.</summary>
internal static class PairInspector
{
    public static (List<SamplePair> Pairs, List<DataProblem> Problems) Inspect(IReadOnlyList<PairCandidate> candidates, long maxPixels)
    {
        var results = new (SamplePair? Pair, DataProblem? Problem)[candidates.Count];
        Parallel.For(0, candidates.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
            results[i] = InspectOne(candidates[i], maxPixels));

        var pairs = new List<SamplePair>();
        var problems = new List<DataProblem>();
        foreach (var (pair, problem) in results)
        {
            if (pair is not null) pairs.Add(pair);
            if (problem is not null) problems.Add(problem);
        }
        return (pairs, problems);
    }

    private static (SamplePair?, DataProblem?) InspectOne(PairCandidate c, long maxPixels)
    {
        var (image, imageProblem) = ImageFileInspector.Inspect(c.ImagePath, maxPixels);
        if (imageProblem is not null) return (null, imageProblem);
        var (mask, maskProblem) = ImageFileInspector.Inspect(c.MaskPath, maxPixels);
        if (maskProblem is not null) return (null, maskProblem);
        if (image!.Width != mask!.Width || image.Height != mask.Height)
        {
            return (null, new DataProblem(DataProblemKind.SizeMismatch, c.MaskPath,
                $"size mismatch: the mask is {mask.Width}x{mask.Height} but its image {Path.GetFileName(c.ImagePath)} is {image.Width}x{image.Height}"));
        }
        return (new SamplePair(c.Stem, c.ImagePath, c.MaskPath, image.Width, image.Height), null);
    }
}
