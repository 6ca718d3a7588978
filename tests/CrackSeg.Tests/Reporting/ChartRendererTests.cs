using CrackSeg.Reporting;

namespace CrackSeg.Tests.Reporting;

public class ChartRendererTests
{
    private static ChartSpec Spec(string title) =>
        new(title, "Loss", [new ChartSeries("train", [1, 2, 3], [0.9, 0.5, 0.4])], 2, "best epoch (2)");

    [Fact]
    public void TextIsDrawnWithTheBundledFont()
    {
        // If no glyphs were drawn (the failure mode on machines without fonts), a title change
        // would leave the image unchanged.
        var a = ChartRenderer.RenderPng(Spec("Loss"));
        var b = ChartRenderer.RenderPng(Spec("Validation loss per epoch"));
        Assert.NotEqual(a, b);
        PngStats.Of(a).AssertNotBlank();
    }

    [Fact]
    public void SinglePointAndEmptySeriesRender()
    {
        var one = ChartRenderer.RenderPng(new ChartSpec("One epoch", "IoU", [new ChartSeries("IoU", [1], [0.42])]));
        PngStats.Of(one).AssertNotBlank();
        var none = ChartRenderer.RenderPng(new ChartSpec("Nothing", "IoU", [new ChartSeries("IoU", [], [])]));
        PngStats.Of(none).AssertNotBlank(minColours: 10, minNonWhite: 0.005);
    }

    [Fact]
    public void ParallelRendersDoNotInterfere()
    {
        var results = Enumerable.Range(0, 4).AsParallel().Select(i => ChartRenderer.RenderPng(Spec("Loss"))).ToList();
        Assert.All(results, r => Assert.Equal(results[0], r));
    }
}
