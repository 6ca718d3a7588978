using System.Collections;
using System.Collections.Specialized;
using CrackSeg.Artifacts;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Evaluation;

/// <summary>Helpers that read the evaluation outputs and write checkpoint variants.</summary>
internal static class EvaluationTestFiles
{
    /// <summary>Crack pixels of a 0/255 mask PNG (> 127, the data.mask_threshold default).</summary>
    public static (long Crack, long Pixels) MaskCounts(string path)
    {
        using var mask = Image.Load<L8>(path);
        long crack = 0;
        mask.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
                foreach (var p in rows.GetRowSpan(y))
                    if (p.PackedValue > 127) crack++;
        });
        return (crack, (long)mask.Width * mask.Height);
    }

    /// <summary>Grey values of an 8-bit PNG, row-major.</summary>
    public static byte[] GreyPixels(string path, out int width, out int height)
    {
        using var image = Image.Load<L8>(path);
        width = image.Width;
        height = image.Height;
        var bytes = new byte[width * height];
        image.CopyPixelDataTo(bytes);
        return bytes;
    }

    /// <summary>Number of distinct RGB colours (a rendered chart has many; a blank one, one).</summary>
    public static int DistinctColours(string path, out int width, out int height)
    {
        using var image = Image.Load<Rgb24>(path);
        width = image.Width;
        height = image.Height;
        var colours = new HashSet<int>();
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
                foreach (var p in rows.GetRowSpan(y)) colours.Add(p.R << 16 | p.G << 8 | p.B);
        });
        return colours.Count;
    }

    /// <summary>
    /// Writes the model weights of a CrackSeg checkpoint as another kind of file: a Python crackseg checkpoint
    /// dict (<c>{"epoch", "model_state_dict", "optimizer_state_dict", "best_metric"}</c>) or a bare state_dict,
    /// optionally with every key prefixed (DataParallel's "module.") or transformed.
    /// </summary>
    public static void WriteVariant(string source, string target, bool pythonDict, Func<string, string>? key = null, int epoch = 3)
    {
        using var scope = NewDisposeScope();
        using var checkpoint = CheckpointStore.Load(source);
        var state = new OrderedDictionary();
        foreach (var (name, tensor) in checkpoint.ModelState) state.Add(key?.Invoke(name) ?? name, tensor);
        IDictionary content = pythonDict
            ? new OrderedDictionary
            {
                ["epoch"] = epoch,
                ["model_state_dict"] = state,
                ["optimizer_state_dict"] = new OrderedDictionary { ["state"] = new OrderedDictionary(), ["param_groups"] = new ArrayList() },
                ["best_metric"] = 0.25,
            }
            : state;
        PyTorchPickler.PickleStateDict(target, content);
    }
}
