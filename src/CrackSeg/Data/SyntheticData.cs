using System.Text.Json;
using CrackSeg.Common;
using CrackSeg.Config;

namespace CrackSeg.Data;

/// <summary>Generates the synthetic corpus into <c>data.root</c> on first use (quickstart, tests).</summary>
public static class SyntheticData
{
    public const string MarkerFile = "synthetic.json";

    /// <summary>
    /// When <c>data.synthetic.enabled</c> and <c>data.root</c> holds no dataset, generates
    /// <c>data.synthetic.count</c> pairs there (into a temp folder first, then moved into place, so an
    /// interrupted run never leaves half a dataset). Returns true when it generated. Existing data is
    /// never touched; if it was generated with other settings, a warning says so.
    /// </summary>
    public static bool EnsureExists(DataConfig data, RunLog log)
    {
        var synth = data.Synthetic;
        if (!synth.Enabled) return false;
        string root = Path.GetFullPath(data.Root);
        if (HasDataset(root))
        {
            WarnIfDifferent(root, synth, log);
            return false;
        }

        string staging = Path.Combine(Path.GetDirectoryName(root)!, $".{Path.GetFileName(root)}.synth-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            log.Info($"data: generating {synth.Count} synthetic pairs ({synth.Width}x{synth.Height}, seed {synth.Seed}) in {root}");
            var summary = SyntheticCracks.Generate(staging, synth.Count, synth.Width, synth.Height, synth.Seed);
            WriteMarker(Path.Combine(staging, MarkerFile), synth, summary.MeanCrackRatio);
            Directory.CreateDirectory(root);
            foreach (string sub in new[] { "images", "masks" })
            {
                string target = Path.Combine(root, sub);
                if (Directory.Exists(target)) Directory.Delete(target); // empty (HasDataset was false)
                Directory.Move(Path.Combine(staging, sub), target);
            }
            File.Move(Path.Combine(staging, MarkerFile), Path.Combine(root, MarkerFile), overwrite: true);
            log.Info($"data: synthetic corpus ready, mean crack pixel ratio {summary.MeanCrackRatio:P2}");
            return true;
        }
        catch (IOException) when (HasDataset(root))
        {
            return false; // another process generated it at the same time
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>True when <paramref name="root"/> already holds a flat (images/ with files) or split-folder dataset.</summary>
    public static bool HasDataset(string root)
    {
        string images = Path.Combine(root, "images");
        if (Directory.Exists(images) && Directory.EnumerateFileSystemEntries(images).Any()) return true;
        return Directory.Exists(Path.Combine(root, "train"));
    }

    private static void WriteMarker(string path, SyntheticConfig synth, double meanRatio) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["generator"] = "crackseg-synthetic-cracks",
            ["version"] = SyntheticCracks.GeneratorVersion,
            ["count"] = synth.Count,
            ["width"] = synth.Width,
            ["height"] = synth.Height,
            ["seed"] = synth.Seed,
            ["mean_crack_ratio"] = Math.Round(meanRatio, 6),
        }, new JsonSerializerOptions { WriteIndented = true }));

    private static void WarnIfDifferent(string root, SyntheticConfig synth, RunLog log)
    {
        string marker = Path.Combine(root, MarkerFile);
        if (!File.Exists(marker)) return;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(marker));
            var el = doc.RootElement;
            int Get(string key) => el.TryGetProperty(key, out var v) && v.TryGetInt32(out int i) ? i : -1;
            if (Get("count") != synth.Count || Get("width") != synth.Width || Get("height") != synth.Height
                || Get("seed") != synth.Seed || Get("version") != SyntheticCracks.GeneratorVersion)
            {
                log.Warning($"data: {root} holds synthetic data generated with other settings than data.synthetic " +
                            $"(count {synth.Count}, {synth.Width}x{synth.Height}, seed {synth.Seed}); using it as is — delete the folder to regenerate");
            }
        }
        catch (JsonException) { /* not our marker: leave the data alone */ }
    }
}
