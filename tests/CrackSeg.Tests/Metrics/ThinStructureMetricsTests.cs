using CrackSeg.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Metrics;

public class ThinStructureMetricsTests
{
    private const int H = 12, W = 16;

    private static Tensor Mask(Action<bool[,]> draw, int h = H, int w = W)
    {
        var m = new bool[h, w];
        draw(m);
        var flat = new float[h * w];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) flat[y * w + x] = m[y, x] ? 1f : 0f;
        return tensor(flat, new long[] { 1, 1, h, w });
    }

    private static Action<bool[,]> Column(int x, int y0 = 0, int y1 = H - 1) => m => { for (int y = y0; y <= y1; y++) m[y, x] = true; };
    private static Action<bool[,]> Rows(int r0, int r1, int x0 = 0, int x1 = W - 1) => m => { for (int y = r0; y <= r1; y++) for (int x = x0; x <= x1; x++) m[y, x] = true; };

    [Fact]
    public void ToleranceFOnHandMadeLines()
    {
        using var scope = NewDisposeScope();
        var target = Mask(Column(5));
        Assert.Equal(1.0, ThinStructureMetrics.ToleranceF(Mask(Column(7)), target).F);          // 2 px away: matched
        Assert.Equal(0.0, ThinStructureMetrics.ToleranceF(Mask(Column(8)), target).F);          // 3 px away
        Assert.Equal(0.0, ThinStructureMetrics.ToleranceF(Mask(Column(7)), target, tolerancePx: 0).F);
        Assert.Equal(1.0, ThinStructureMetrics.ToleranceF(target, target, tolerancePx: 0).F);

        // Half of the crack found, plus one false pixel far away.
        var half = Mask(m => { Column(6, 0, 5)(m); m[11, 15] = true; });
        var s = ThinStructureMetrics.ToleranceF(half, target);
        // Target rows 0..6 are matched: (row 7, col 5) is (1, 2) from (5, 6), distance √5 > 2.
        Assert.Equal(new MatchScores(6, 7, 7, 12), s);
        Assert.Equal(6.0 / 7, s.Precision, 12);
        Assert.Equal(7.0 / 12, s.Recall, 12);

        // A single pixel diagonally (2, 2) away: distance 2.83 > 2 for the disk, but inside the 5×5 square.
        var a = Mask(m => m[4, 4] = true);
        var b = Mask(m => m[6, 6] = true);
        Assert.Equal(0.0, ThinStructureMetrics.ToleranceF(a, b, 2, ToleranceShape.Disk).F);
        Assert.Equal(1.0, ThinStructureMetrics.ToleranceF(a, b, 2, ToleranceShape.Square).F);
        var c = Mask(m => m[6, 5] = true);  // (2, 1): distance 2.24 > 2
        Assert.Equal(0.0, ThinStructureMetrics.ToleranceF(a, c).F);
        var d = Mask(m => m[6, 4] = true);  // (2, 0)
        Assert.Equal(1.0, ThinStructureMetrics.ToleranceF(a, d).F);
    }

    [Fact]
    public void ToleranceFZeroDivision()
    {
        using var scope = NewDisposeScope();
        var empty = zeros(1, 1, H, W);
        var line = Mask(Column(3));
        Assert.Equal((1.0, 1.0, 1.0), Triple(ThinStructureMetrics.ToleranceF(empty, empty)));
        Assert.Equal((0.0, 0.0, 0.0), Triple(ThinStructureMetrics.ToleranceF(empty, line)));
        Assert.Equal((0.0, 0.0, 0.0), Triple(ThinStructureMetrics.ToleranceF(line, empty)));
        static (double, double, double) Triple(MatchScores s) => (s.Precision, s.Recall, s.F);
    }

    [Theory]
    [InlineData(1, ToleranceShape.Disk)]
    [InlineData(2, ToleranceShape.Disk)]
    [InlineData(3, ToleranceShape.Disk)]
    [InlineData(5, ToleranceShape.Disk)]
    [InlineData(2, ToleranceShape.Square)]
    public void ToleranceCountsMatchBruteForceDistances(int r, ToleranceShape shape)
    {
        using var scope = NewDisposeScope();
        var rng = new Random(r * 10 + (int)shape);
        int n = 3;
        var pred = new bool[n * H * W];
        var targ = new bool[n * H * W];
        for (int i = 0; i < pred.Length; i++) { pred[i] = rng.NextDouble() < 0.08; targ[i] = rng.NextDouble() < 0.08; }
        var rows = ThinStructureMetrics.ToleranceCounts(tensor(pred, new long[] { n, 1, H, W }), tensor(targ, new long[] { n, 1, H, W }), r, shape)
            .data<long>().ToArray();
        for (int img = 0; img < n; img++)
        {
            long Near(bool[] from, bool[] to)
            {
                long count = 0;
                for (int y = 0; y < H; y++) for (int x = 0; x < W; x++)
                {
                    if (!from[img * H * W + y * W + x]) continue;
                    bool hit = false;
                    for (int v = 0; v < H && !hit; v++) for (int u = 0; u < W && !hit; u++)
                    {
                        int dy = v - y, dx = u - x;
                        bool inside = shape == ToleranceShape.Disk ? dx * dx + dy * dy <= r * r : Math.Max(Math.Abs(dx), Math.Abs(dy)) <= r;
                        hit = inside && to[img * H * W + v * W + u];
                    }
                    if (hit) count++;
                }
                return count;
            }
            long Count(bool[] m) => m.Skip(img * H * W).Take(H * W).LongCount(b => b);
            Assert.Equal(new[] { Near(pred, targ), Count(pred), Near(targ, pred), Count(targ) }, rows.Skip(4 * img).Take(4).ToArray());
        }
    }

    [Fact]
    public void SoftSkeletonMatchesALoopReferenceOnSoftAndBinaryImages()
    {
        using var scope = NewDisposeScope();
        var rng = new Random(42);
        int h = 9, w = 11;
        foreach (bool binary in new[] { false, true })
        {
            var img = new float[h * w];
            for (int i = 0; i < img.Length; i++) img[i] = binary ? (rng.NextDouble() < 0.6 ? 1f : 0f) : (float)rng.NextDouble();
            var got = SoftMorphology.Skeleton(tensor(img, new long[] { 1, 1, h, w }), 4).data<float>().ToArray();
            var expected = ReferenceSkeleton(img, h, w, 4);
            for (int i = 0; i < img.Length; i++) Assert.Equal(expected[i], got[i], 5);
        }
    }

    [Fact]
    public void ClDiceOnHandMadeCracks()
    {
        using var scope = NewDisposeScope();
        var line = Mask(Rows(5, 5));
        Assert.Equal(1.0, ThinStructureMetrics.ClDice(line, line), 12);
        Assert.Equal(0.0, ThinStructureMetrics.ClDice(Mask(Rows(2, 2)), line), 12);

        // A 3-px-thick crack predicted by its centreline: clDice 1 (topology right), pixel Dice only 0.5.
        var thick = Mask(Rows(4, 6));
        Assert.Equal(1.0, ThinStructureMetrics.ClDice(Mask(Rows(5, 5)), thick), 12);
        var skeleton = SoftMorphology.Skeleton(thick, 10);
        Assert.True(skeleton.Equals(Mask(Rows(5, 5))), "the skeleton of the thick bar is its centre row");

        // Half of a thin crack found: topology precision 1, sensitivity 1/2 → clDice 2/3.
        Assert.Equal(2.0 / 3, ThinStructureMetrics.ClDice(Mask(Rows(5, 5, 0, W / 2 - 1)), line), 12);

        // Both empty → 1 (convention); one side empty → 0. Batch mean over images.
        var empty = zeros(1, 1, H, W);
        Assert.Equal(1.0, ThinStructureMetrics.ClDice(empty, empty));
        Assert.Equal(0.0, ThinStructureMetrics.ClDice(empty, line));
        var batchPred = cat(new[] { line, empty }, 0);
        var batchTarget = cat(new[] { line, line }, 0);
        Assert.Equal(new[] { 1.0, 0.0 }, ThinStructureMetrics.ClDicePerImage(batchPred, batchTarget));
        Assert.Equal(0.5, ThinStructureMetrics.ClDice(batchPred, batchTarget));
    }

    private static float[] ReferenceSkeleton(float[] img, int h, int w, int iterations)
    {
        float[] Erode(float[] x)
        {
            var r = new float[x.Length];
            for (int y = 0; y < h; y++) for (int c = 0; c < w; c++)
            {
                float m = x[y * w + c];
                if (y > 0) m = Math.Min(m, x[(y - 1) * w + c]);
                if (y < h - 1) m = Math.Min(m, x[(y + 1) * w + c]);
                if (c > 0) m = Math.Min(m, x[y * w + c - 1]);
                if (c < w - 1) m = Math.Min(m, x[y * w + c + 1]);
                r[y * w + c] = m;
            }
            return r;
        }
        float[] Dilate(float[] x)
        {
            var r = new float[x.Length];
            for (int y = 0; y < h; y++) for (int c = 0; c < w; c++)
            {
                float m = float.NegativeInfinity;
                for (int dy = -1; dy <= 1; dy++) for (int dx = -1; dx <= 1; dx++)
                {
                    int yy = y + dy, cc = c + dx;
                    if (yy >= 0 && yy < h && cc >= 0 && cc < w) m = Math.Max(m, x[yy * w + cc]);
                }
                r[y * w + c] = m;
            }
            return r;
        }
        float Relu(float v) => Math.Max(v, 0f);
        var open = Dilate(Erode(img));
        var skel = img.Select((v, i) => Relu(v - open[i])).ToArray();
        var cur = img;
        for (int it = 0; it < iterations; it++)
        {
            cur = Erode(cur);
            var o = Dilate(Erode(cur));
            for (int i = 0; i < skel.Length; i++)
            {
                float delta = Relu(cur[i] - o[i]);
                skel[i] += Relu(delta - skel[i] * delta);
            }
        }
        return skel;
    }
}
