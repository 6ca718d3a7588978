using CrackSeg.Common;
using CrackSeg.Evaluation;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CrackSeg.Tests.Evaluation;

/// <summary>
/// Test-time augmentation against a model whose output is a known function of its input: a spatial ramp over
/// the model's own input coordinates plus a per-pixel function of the colour channels. The ramp is not symmetric,
/// so each transform gives the model a different view, and only the right inverse maps every output pixel back
/// to the image pixel it came from; the expected average is computed on the host, pixel by pixel.
/// </summary>
public sealed class TestTimeAugmentationTests
{
    private const double RowSlope = 0.05, ColSlope = -0.03, RedWeight = 0.7, BlueWeight = 0.4;

    [Theory]
    [InlineData(TtaMode.None, 1)]
    [InlineData(TtaMode.Flip, 3)]
    [InlineData(TtaMode.D4, 8)]
    public void AveragedProbabilities_EqualTheHostComputation_OnANonSquareImage(TtaMode mode, int passes)
    {
        using var scope = NewDisposeScope();
        var images = Images(2, 6, 10);
        var tta = new TestTimeAugmentation(mode);
        Assert.Equal(passes, tta.Passes);
        using var model = new RampModel();
        var probabilities = tta.Probabilities(model.call, images);
        Assert.Equal(new long[] { 2, 1, 6, 10 }, probabilities.shape);
        Assert.Equal(ScalarType.Float32, probabilities.dtype);
        AssertClose(Expected(images, TestTimeAugmentation.TransformsOf(mode)), probabilities, 1e-6);
        // The cost is measured on the CPU: every pass over the identity pass alone.
        Assert.True(tta.MeasuredTimeFactor is double factor && (mode == TtaMode.None ? factor == 1 : factor > 1), $"{tta.MeasuredTimeFactor}");
        if (mode != TtaMode.None)
        {
            // The check can fail: averaging the views moves the ramp model's output well away from one pass.
            var single = TestTimeAugmentation.None.Probabilities(model.call, images);
            Assert.True(probabilities.sub(single).abs().max().item<float>() > 0.02);
        }
    }

    [Fact]
    public void EveryD4Transform_IsInvertedExactly_AndTheEightAreDistinct()
    {
        using var scope = NewDisposeScope();
        var square = arange(2 * 3 * 4 * 4, dtype: ScalarType.Float32).view(2, 3, 4, 4);
        var oblong = arange(2 * 3 * 4 * 6, dtype: ScalarType.Float32).view(2, 3, 4, 6);
        var transforms = TestTimeAugmentation.TransformsOf(TtaMode.D4);
        Assert.Equal(8, transforms.Distinct().Count());
        Assert.Equal(DihedralTransform.Identity, transforms[0]);
        var views = new List<float[]>();
        foreach (var t in transforms)
        {
            Assert.True(t.Invert(t.Apply(square)).Equals(square), t.ToString());
            Assert.True(t.Invert(t.Apply(oblong)).Equals(oblong), t.ToString());
            Assert.Equal(t.Transpose ? new long[] { 2, 3, 6, 4 } : new long[] { 2, 3, 4, 6 }, t.Apply(oblong).shape);
            views.Add(t.Apply(square).contiguous().data<float>().ToArray());
        }
        Assert.Equal(8, views.Select(v => string.Join(",", v)).Distinct().Count());
        Assert.Equal([DihedralTransform.Identity, new(false, true, false), new(true, false, false)], TestTimeAugmentation.TransformsOf(TtaMode.Flip));
    }

    [Fact]
    public void Logits_AreTheModelsOwnWithoutTta_AndTheLogitOfTheAverageWithIt()
    {
        using var scope = NewDisposeScope();
        var images = Images(1, 8, 5);
        using var model = new RampModel();
        Assert.True(TestTimeAugmentation.None.Logits(model.call, images).Equals(model.call(images)));
        var tta = new TestTimeAugmentation(TtaMode.D4);
        AssertClose(tta.Probabilities(model.call, images), sigmoid(tta.Logits(model.call, images)), 1e-6);
    }

    [Fact]
    public void TiledInference_AppliesTtaPerTile_WithTheSameInverse()
    {
        // Predict's path: a 64×96 image fits one tile (it runs whole), so the blended result is the TTA average.
        using var scope = NewDisposeScope();
        var image = Images(1, 64, 96);
        using var model = new RampModel();
        model.eval();
        var tiler = new TiledInference(model, tile: 128, overlap: 32, tta: new TestTimeAugmentation(TtaMode.D4));
        var expected = Expected(image, TestTimeAugmentation.TransformsOf(TtaMode.D4))[0, 0];
        AssertClose(expected, tiler.Probabilities(image[0]), 1e-6);
        AssertClose(expected, tiler.ProbabilitiesUntiled(image[0]), 1e-6);
    }

    [Fact]
    public void TiledInference_WithTta_OfAPerPixelModel_EqualsOnePass_AcrossTiles()
    {
        // A model without the ramp is equivariant: every view, mapped back, is the same, so tiles + blending + d4
        // must reproduce one untiled pass wherever the tiles fall.
        using var scope = NewDisposeScope();
        var image = Images(1, 200, 170)[0];
        using var model = new RampModel(ramp: false);
        var plain = new TiledInference(model, tile: 64, overlap: 32).ProbabilitiesUntiled(image);
        var tiled = new TiledInference(model, tile: 64, overlap: 32, tta: new TestTimeAugmentation(TtaMode.D4)).Probabilities(image);
        AssertClose(plain, tiled, 1e-6);
    }

    [Theory]
    [InlineData("none", TtaMode.None)]
    [InlineData("flip", TtaMode.Flip)]
    [InlineData("D4", TtaMode.D4)]
    public void Modes_ParseAndPrint(string text, TtaMode mode)
    {
        Assert.Equal(mode, TtaModes.Parse(text));
        Assert.Equal(text.ToLowerInvariant(), mode.ToKey());
    }

    [Fact]
    public void UnknownMode_IsAnInputExceptionNamingTheOption() =>
        Assert.Contains("--tta", Assert.Throws<InputException>(() => TtaModes.Parse("rot90")).Message);

    /// <summary>Random normalised-looking images, seeded by a generator of their own.</summary>
    private static Tensor Images(int n, int height, int width)
    {
        using var generator = new Generator(5);
        return randn([n, 3, height, width], generator: generator);
    }

    /// <summary>
    /// The expected average, pixel by pixel on the host: transform (fh, fw, t) moves image pixel (i, j) to
    /// (i1, j1) = (fh ? H−1−i : i, fw ? W−1−j : j), then to (j1, i1) when transposed; the model's logit there is
    /// the ramp at that position plus the channel term of the pixel itself.
    /// </summary>
    private static Tensor Expected(Tensor images, IReadOnlyList<DihedralTransform> transforms)
    {
        int n = (int)images.shape[0], h = (int)images.shape[2], w = (int)images.shape[3];
        var x = images.to(ScalarType.Float64).contiguous().data<double>().ToArray();
        var result = new float[n * h * w];
        for (int b = 0; b < n; b++)
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++)
                {
                    double red = x[((b * 3 + 0) * h + i) * w + j], blue = x[((b * 3 + 2) * h + i) * w + j];
                    double sum = 0;
                    foreach (var t in transforms)
                    {
                        int i1 = t.FlipH ? h - 1 - i : i, j1 = t.FlipW ? w - 1 - j : j;
                        var (row, col) = t.Transpose ? (j1, i1) : (i1, j1);
                        double logit = RowSlope * row + ColSlope * col + RedWeight * red - BlueWeight * blue;
                        sum += 1 / (1 + Math.Exp(-logit));
                    }
                    result[(b * h + i) * w + j] = (float)(sum / transforms.Count);
                }
        return tensor(result, [n, 1, h, w]);
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance)
    {
        Assert.Equal(expected.shape, actual.shape);
        double diff = expected.to(ScalarType.Float64).sub(actual.to(ScalarType.Float64)).abs().max().item<double>();
        Assert.True(diff <= tolerance, $"max |difference| {diff:E2} > {tolerance:E0}");
    }

    /// <summary>
    /// Logits = RowSlope·row + ColSlope·col (the position in the model's own input) + RedWeight·x₀ − BlueWeight·x₂.
    /// </summary>
    private sealed class RampModel(bool ramp = true) : Module<Tensor, Tensor>(nameof(RampModel))
    {
        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            long h = x.shape[2], w = x.shape[3];
            var logits = x.narrow(1, 0, 1).mul(RedWeight).sub(x.narrow(1, 2, 1).mul(BlueWeight));
            if (ramp)
            {
                var rows = arange(h, dtype: ScalarType.Float32, device: x.device).mul(RowSlope).view(1, 1, h, 1);
                var cols = arange(w, dtype: ScalarType.Float32, device: x.device).mul(ColSlope).view(1, 1, 1, w);
                logits = logits.add(rows).add(cols);
            }
            return logits.MoveToOuterDisposeScope();
        }
    }
}
