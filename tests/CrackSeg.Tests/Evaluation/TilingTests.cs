using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Data;
using CrackSeg.Evaluation;
using CrackSeg.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Evaluation;

/// <summary>
/// Tiled prediction: the grid and its blend weights, exactness against the whole-image prediction at 2048², and
/// the absence of seams where tiles disagree.
/// </summary>
/// <remarks>
/// Why a test model and not the product model for exactness: the hybrid has global context — ASPP image pooling
/// and CBAM channel attention average over the whole input — and its decoder upsamples with
/// align_corners = true, whose sampling grid depends on the input size. A tile therefore cannot reproduce the
/// whole-image output exactly anywhere, however it is placed. The SwinV2 encoder itself is local once tiles are
/// aligned with its window partition (<see cref="TileGrid.WindowPeriod"/>): <see cref="LocalWindowedModel"/> (the
/// encoder with a local head) must match to float rounding, which checks the grid, padding, batching and
/// blending. The seam test adds a global term to it, so tiles disagree as they do with the product model.
/// </remarks>
public sealed class TilingTests(ITestOutputHelper output)
{
    private const int Size = 2048;

    [Theory]
    [InlineData(2048, 512, 64)]
    [InlineData(2048, 1280, 512)]
    [InlineData(2000, 512, 256)]
    [InlineData(1000, 512, 0)]
    [InlineData(513, 512, 64)]
    [InlineData(144, 64, 16)]
    [InlineData(72, 64, 2)]
    public void Grid_CoversTheImage_WithBlendWeightsThatSumToOne(int length, int tile, int overlap)
    {
        var axis = TileGrid.Plan(length, 40, tile, overlap).Rows;
        int step = tile - overlap;
        Assert.Equal(tile, axis.TileLength);
        Assert.True(axis.Origins.Count >= 2);
        Assert.Equal(0, axis.Origins[0]);
        for (int k = 1; k < axis.Origins.Count; k++) Assert.Equal(step, axis.Origins[k] - axis.Origins[k - 1]);
        Assert.Equal(axis.Origins[^1] + tile, axis.CanvasLength);
        Assert.True(axis.CanvasLength >= length && axis.Origins[^1] < length, "the grid covers the image with no tile wholly outside it");

        var sum = new double[axis.CanvasLength];
        for (int k = 0; k < axis.Origins.Count; k++)
            for (int x = 0; x < tile; x++) sum[axis.Origins[k] + x] += axis.Weights[k][x];
        for (int x = 0; x < length; x++) Assert.InRange(sum[x], 1 - 1e-6, 1 + 1e-6);
        // Inside the image, a tile's border pixels next to a neighbour get no weight (overlap / 4 of them).
        int margin = overlap / 4;
        for (int k = 1; k < axis.Origins.Count; k++)
            for (int x = 0; x < margin; x++) Assert.Equal(0f, axis.Weights[k][x]);
        // On the image border a tile keeps full weight.
        Assert.Equal(1f, axis.Weights[0][0]);
        Assert.Equal(1f, axis.Weights[^1][^1]);
    }

    [Fact]
    public void Grid_UsesOneTileRoundedUpTo32_WhenTheImageFits()
    {
        var grid = TileGrid.Plan(72, 144, 512, 64);
        Assert.Equal((96, 160), (grid.TileHeight, grid.TileWidth));
        Assert.Equal((96, 160), (grid.CanvasHeight, grid.CanvasWidth));
        Assert.Equal(1, grid.Count);
        Assert.All(grid.Rows.Weights[0], w => Assert.Equal(1f, w));
    }

    [Theory]
    [InlineData(100, 0, "--tile")]
    [InlineData(0, 0, "--tile")]
    [InlineData(512, -1, "--overlap")]
    [InlineData(512, 257, "--overlap")]
    public void Grid_RejectsBadTileSettings(int tile, int overlap, string key) =>
        Assert.Contains(key, Assert.ThrowsAny<InputException>(() => TileGrid.Plan(100, 100, tile, overlap)).Message);

    [Theory]
    [InlineData("nano", 64, null, 64)]    // windows 8 (shifted), 8, 4, 2 at strides 4..32
    [InlineData("nano", 128, null, 128)]  // 8, 8, 8, 4
    [InlineData("seed", 256, null, 256)]  // 8 at every stage
    [InlineData("seed", 224, 7, 224)]     // 7 at every stage: 28, 56, 112, 224 px
    public void WindowPeriod_IsTheLeastCommonMultipleOfStrideTimesWindow(string preset, int imageSize, int? window, int expected) =>
        Assert.Equal(expected, TileGrid.WindowPeriod(ModelSpec.Resolve(new ModelConfig { Preset = preset, WindowSize = window }, imageSize)));

    [Fact]
    public void Tiled_EqualsTheWholeImage_OnALocalWindowedModel_At2048()
    {
        using var scope = NewDisposeScope();
        using var model = TilingTestModels.Local();
        Assert.Equal(64, TileGrid.WindowPeriod(model.Spec));
        var image = SyntheticImage(Size);
        // Tile and step (1152 − 256 = 896) are multiples of the 64 px window period; the 64 px zero-weight margin
        // (overlap / 4) covers the model's reach (a pixel depends on its own and the neighbouring 64 px window
        // blocks); the canvas is the image itself (2 × 2 tiles), so even the image border matches.
        var tiler = new TiledInference(model, tile: 1152, overlap: 256, batchSize: 2);
        var grid = tiler.Plan(Size, Size);
        Assert.Equal((4, Size), (grid.Count, grid.CanvasHeight));

        var whole = tiler.ProbabilitiesUntiled(image);
        var tiled = tiler.Probabilities(image);

        var difference = tiled - whole;
        double max = difference.abs().max().item<float>();
        var (atSeams, elsewhere) = Jumps(difference, SeamLines(grid.Rows, 256));
        output.WriteLine($"2048² local model: max |tiled − whole| = {max:G3} (steps at tile boundaries {atSeams:G3}, elsewhere {elsewhere:G3}), output std {whole.std().item<float>():G3}");
        Assert.True(max <= 1e-5, $"max |Δp| {max}");
        Assert.True(atSeams <= 1e-5, $"seam {atSeams}");
        Assert.True(whole.std().item<float>() > 0.01, "the test model must produce a varied map");
    }

    [Fact]
    public void Tiled_DiffersWhenTheGridIsNotAlignedWithTheWindows()
    {
        // The control for the test above: a step of 288 px (4.5 window periods) splits the 64 px windows
        // differently from the whole image, which shows even away from the borders.
        using var scope = NewDisposeScope();
        using var model = TilingTestModels.Local();
        var image = SyntheticImage(768);
        var whole = new TiledInference(model, 512, 0).ProbabilitiesUntiled(image);
        var tiled = new TiledInference(model, tile: 576, overlap: 288, batchSize: 2).Probabilities(image);
        double inner = (tiled - whole)[128..640, 128..640].abs().max().item<float>();
        Assert.True(inner > 1e-3, $"misaligned tiles should differ; max |Δp| {inner}");
    }

    [Fact]
    public void Blending_LeavesNoSeams_WhereTilesDisagree()
    {
        // 1024² (3 × 3 blended tiles) keeps this test short; the 2048² run in the notes gave the same picture.
        const int size = 1024;
        using var scope = NewDisposeScope();
        using var model = TilingTestModels.Local(globalContext: true);
        var image = SyntheticImage(size);
        var whole = new TiledInference(model, 512, 0).ProbabilitiesUntiled(image);

        // 512 px tiles overlapping by 256: the 64 px zero-weight margin covers the model's local reach, so what the
        // blend has to hide is only the tiles' disagreement, which the 128 px ramps turn into a smooth change.
        var blended = new TiledInference(model, tile: 512, overlap: 256, batchSize: 4);
        var blendedDifference = blended.Probabilities(image) - whole;
        var (atSeams, elsewhere) = Jumps(blendedDifference, SeamLines(blended.Plan(size, size).Rows, 256));
        output.WriteLine($"blended: largest step of (tiled − whole) across tile boundaries {atSeams:G3}, elsewhere {elsewhere:G3}; " +
                         $"|tiled − whole| max {blendedDifference.abs().max().item<float>():G3}, mean {blendedDifference.abs().mean().item<float>():G3}");
        // No seam stands out: steps across tile boundaries are of the size of the map's other steps (the
        // largest of each is a noisy statistic, hence 1.25x), while abutting tiles below give about 10x.
        Assert.True(atSeams <= 1.25 * elsewhere, $"seam: {atSeams} at tile boundaries > 1.25 x {elsewhere} elsewhere");

        // Control: abutting tiles (no overlap) do leave seams, and this measure finds them.
        var hard = new TiledInference(model, tile: 512, overlap: 0, batchSize: 4);
        var (hardSeams, hardElsewhere) = Jumps(hard.Probabilities(image) - whole, SeamLines(hard.Plan(size, size).Rows, 0));
        output.WriteLine($"abutting: {hardSeams:G3} across tile boundaries, {hardElsewhere:G3} elsewhere");
        Assert.True(hardSeams > 2 * hardElsewhere, $"abutting tiles should show seams ({hardSeams} vs {hardElsewhere})");
        // The ramps spread each disagreement over 32 px: no step of the blended map comes near an abutting seam.
        Assert.True(Math.Max(atSeams, elsewhere) * 2 < hardSeams, $"blended steps up to {Math.Max(atSeams, elsewhere)} vs abutting seams {hardSeams}");
    }

    /// <summary>A synthetic crack image (the generator of the quickstart data), normalised, [3, size, size].</summary>
    private static Tensor SyntheticImage(int size)
    {
        var (rgb, _) = SyntheticCracks.Render(size, size, seed: 21, index: 0);
        return ImageTensors.Normalised(rgb, size, size, CPU);
    }

    /// <summary>Where a tile's weight changes regime (its edge, the end of its zero margin, the end of its ramp), per interior edge.</summary>
    private static HashSet<int> SeamLines(TileGrid.Axis axis, int overlap)
    {
        int margin = overlap / 4, ramp = overlap - 2 * margin;
        var lines = new HashSet<int>();
        for (int k = 0; k < axis.Origins.Count; k++)
        {
            int start = axis.Origins[k], end = start + axis.TileLength;
            foreach (int d in new[] { 0, margin, margin + ramp })
            {
                if (k > 0) lines.Add(start + d);
                if (k < axis.Origins.Count - 1) lines.Add(end - d);
            }
        }
        return lines;
    }

    /// <summary>
    /// The largest change of <paramref name="difference"/> between neighbouring pixels across the seam lines
    /// (either side of pixel x − 1 | x, rows and columns alike) and everywhere else.
    /// </summary>
    private static (double AtSeams, double Elsewhere) Jumps(Tensor difference, HashSet<int> seams)
    {
        var columnSteps = (difference[.., 1..] - difference[.., ..^1]).abs().amax(0);  // step into column x = index + 1
        var rowSteps = (difference[1.., ..] - difference[..^1, ..]).abs().amax(1);
        var steps = maximum(columnSteps, rowSteps).data<float>().ToArray();
        double atSeams = 0, elsewhere = 0;
        for (int i = 0; i < steps.Length; i++)
        {
            if (seams.Contains(i + 1)) atSeams = Math.Max(atSeams, steps[i]);
            else elsewhere = Math.Max(elsewhere, steps[i]);
        }
        return (atSeams, elsewhere);
    }
}
