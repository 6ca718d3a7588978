namespace CrackSeg.Data;

/// <summary>A stem whose image and mask files were both found (not yet inspected).</summary>
internal sealed record PairCandidate(string Stem, string ImagePath, string MaskPath);

/// <summary>
/// Matches <c>images/</c> against <c>masks/</c> by file stem. Finds missing masks, orphan masks,
/// stems used twice and files with unsupported extensions; inspecting the files' content is left
/// to <see cref="PairInspector"/>.
/// </summary>
internal static class PairScanner
{
    public static (List<PairCandidate> Pairs, List<DataProblem> Problems) Scan(
        string imagesDir, string masksDir, IReadOnlySet<string>? onlyStems = null, string? listedIn = null)
    {
        var pairs = new List<PairCandidate>();
        var problems = new List<DataProblem>();
        var images = GroupByStem(imagesDir);
        var masks = GroupByStem(masksDir);

        var stems = new SortedSet<string>(images.Keys, StringComparer.Ordinal);
        stems.UnionWith(masks.Keys);
        if (onlyStems is not null)
        {
            stems.IntersectWith(onlyStems);
            foreach (string stem in onlyStems.Where(s => !images.ContainsKey(s)).Order(StringComparer.Ordinal))
            {
                problems.Add(new DataProblem(DataProblemKind.MissingImage, Path.Combine(imagesDir, stem + ".*"),
                    $"missing image: '{stem}' is listed in {listedIn ?? "the split list"} but {imagesDir} has no file with this stem"));
            }
        }

        foreach (string stem in stems)
        {
            var imageFiles = images.GetValueOrDefault(stem) ?? [];
            var maskFiles = masks.GetValueOrDefault(stem) ?? [];
            var supportedImages = imageFiles.Where(ImageFileFormats.IsSupportedExtension).ToList();
            var supportedMasks = maskFiles.Where(ImageFileFormats.IsSupportedExtension).ToList();

            if (supportedImages.Count > 1 || supportedMasks.Count > 1)
            {
                var clash = supportedImages.Count > 1 ? supportedImages : supportedMasks;
                problems.Add(new DataProblem(DataProblemKind.DuplicateStem, clash[0],
                    $"several files share the stem '{stem}' ({string.Join(", ", clash.Select(Path.GetFileName))}): rename or remove all but one"));
                continue;
            }
            if (supportedImages.Count == 0)
            {
                if (imageFiles.Count > 0)
                    problems.Add(Unsupported(imageFiles[0]));
                else if (onlyStems is null && maskFiles.Count > 0)
                    problems.Add(new DataProblem(DataProblemKind.OrphanMask, maskFiles[0],
                        $"orphan mask: {imagesDir} has no image with the stem '{stem}'"));
                continue;
            }
            if (supportedMasks.Count == 0)
            {
                problems.Add(maskFiles.Count > 0
                    ? Unsupported(maskFiles[0])
                    : new DataProblem(DataProblemKind.MissingMask, supportedImages[0],
                        $"missing mask: expected {Path.Combine(masksDir, stem + ".png")}"));
                continue;
            }
            pairs.Add(new PairCandidate(stem, supportedImages[0], supportedMasks[0]));
        }
        return (pairs, problems);
    }

    private static DataProblem Unsupported(string path) => new(DataProblemKind.UnsupportedFormat, path,
        $"unsupported format '{Path.GetExtension(path)}' (expected one of {ImageFileFormats.SupportedList})");

    /// <summary>Entries of a folder by stem. Folders named like image files are kept so they get reported as unreadable.</summary>
    private static Dictionary<string, List<string>> GroupByStem(string dir)
    {
        var byStem = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (!Directory.Exists(dir)) return byStem;
        foreach (string entry in Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal))
        {
            if (ImageFileFormats.IsIgnorable(entry)) continue;
            if (Directory.Exists(entry) && !ImageFileFormats.IsSupportedExtension(entry)) continue;
            string stem = Path.GetFileNameWithoutExtension(entry);
            if (!byStem.TryGetValue(stem, out var list)) byStem[stem] = list = [];
            list.Add(entry);
        }
        return byStem;
    }
}
