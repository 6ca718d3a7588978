using System.Text.RegularExpressions;
using CrackSeg.Metrics;
using CrackSeg.Tests.TestSupport;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Metrics;

/// <summary>The one logits-to-mask rule: p ≥ threshold, a NaN probability counts as 0, on tensors and host floats alike.</summary>
public class CrackMaskTests
{
    [Theory]
    [InlineData(0.5)]
    [InlineData(0.0)]   // every pixel is crack, a NaN one included
    [InlineData(1e-6)]
    public void TensorAndHostPathsClassifyNaNAndTheThresholdTheSame(double threshold)
    {
        using var scope = NewDisposeScope();
        float[] probabilities = { float.NaN, 0f, (float)threshold, 0.49f, 0.5f, 1f };
        var fromProbabilities = CrackMask.FromProbabilities(tensor(probabilities), threshold).data<bool>().ToArray();
        bool[] host = probabilities.Select(p => CrackMask.IsCrack(p, (float)threshold)).ToArray();
        // Both paths compare in float32: the threshold is cut to float as the tensor comparison does.
        bool[] expected = probabilities.Select(p => (float.IsNaN(p) ? 0f : p) >= (float)threshold).ToArray();
        Assert.Equal(expected, fromProbabilities);
        Assert.Equal(expected, host);
        Assert.Equal(threshold <= 0, fromProbabilities[0]);
    }

    [Fact]
    public void NaNLogitsAreBackgroundAndSigmoidZeroIsCrackAtOneHalf()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new float[] { float.NaN, 0f, -0.001f, 3f }).to(ScalarType.BFloat16);
        Assert.Equal(new[] { false, true, false, true }, CrackMask.FromLogits(logits, 0.5).data<bool>().ToArray());
        var probabilities = CrackMask.Probabilities(logits);
        Assert.Equal(ScalarType.Float32, probabilities.dtype);
        Assert.Equal(0f, probabilities[0].item<float>());
    }

    [Fact]
    public void NoOtherSourceFileCutsProbabilitiesAtAThreshold()
    {
        // A copy of the rule (".ge(threshold)", "p >= cut") elsewhere would classify NaN its own way again.
        var copy = new Regex(@"\.ge\([^)]*[Tt]hreshold|>=\s*(cut|threshold|Threshold)\b");
        string root = RepositoryRoot.Path;
        var offences = Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != "CrackMask.cs")
            .SelectMany(f => File.ReadAllLines(f).Select((line, i) => (f, i, line)))
            .Where(x => copy.IsMatch(x.line.Split("//")[0]))
            .Select(x => $"{Path.GetRelativePath(root, x.f)}:{x.i + 1}: {x.line.Trim()}")
            .ToList();
        Assert.True(offences.Count == 0, "logits-to-mask rule outside Metrics/CrackMask.cs:\n" + string.Join("\n", offences));
    }
}
