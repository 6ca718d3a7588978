using CrackSeg.Common;
using CrackSeg.Models;

namespace CrackSeg.Evaluation;

/// <summary>
/// The tiles that cover one image and their blend weights. Per axis: an image that fits in one tile gets one
/// tile of its length rounded up to 32; a longer one gets tiles of <c>tile</c> pixels at origins k·step
/// (step = tile − overlap) on a canvas padded to (n − 1)·step + tile, so every tile has the same size and
/// the grid covers the image.
/// </summary>
/// <remarks>
/// Blend weight along an axis, at distance d from a tile edge that lies inside the image: 0 for
/// d &lt; m = overlap / 4 (the tile's border predictions, which saw zero padding, are dropped), then a
/// raised cosine over r = overlap − 2m pixels, then 1. Edges on the image border keep weight 1. The two
/// ramps of neighbouring tiles are mirror images over the same pixels, so their weights sum to exactly 1 there
/// (0.5 − 0.5·cos(πu) + 0.5 − 0.5·cos(π(1 − u)) = 1), and the 2-D weight (the outer product of the axis
/// weights) sums to 1 at every pixel: the blended map is a convex combination of tile predictions with no
/// seam. The sum of the weights still divides the result, which keeps it exact in float32.
/// </remarks>
public sealed class TileGrid
{
    private TileGrid(Axis rows, Axis cols, int height, int width)
    {
        Rows = rows;
        Cols = cols;
        Height = height;
        Width = width;
    }

    /// <summary>One axis of the grid: tile length, tile origins, canvas length and the weights of each tile.</summary>
    public sealed record Axis(int TileLength, IReadOnlyList<int> Origins, int CanvasLength, IReadOnlyList<float[]> Weights);

    public Axis Rows { get; }
    public Axis Cols { get; }
    public int Height { get; }
    public int Width { get; }
    public int TileHeight => Rows.TileLength;
    public int TileWidth => Cols.TileLength;
    public int CanvasHeight => Rows.CanvasLength;
    public int CanvasWidth => Cols.CanvasLength;
    public int Count => Rows.Origins.Count * Cols.Origins.Count;

    /// <summary>Every tile as (row index, column index), row-major.</summary>
    public IEnumerable<(int Row, int Col)> Tiles()
    {
        for (int r = 0; r < Rows.Origins.Count; r++)
            for (int c = 0; c < Cols.Origins.Count; c++)
                yield return (r, c);
    }

    /// <exception cref="InputException">tile not a positive multiple of 32, or overlap outside 0..tile/2.</exception>
    public static TileGrid Plan(int height, int width, int tile, int overlap)
    {
        Validate(tile, overlap);
        if (height < 1 || width < 1) throw new ArgumentOutOfRangeException(nameof(height), $"an image of {width}x{height}");
        return new TileGrid(PlanAxis(height, tile, overlap), PlanAxis(width, tile, overlap), height, width);
    }

    public static void Validate(int tile, int overlap)
    {
        if (tile < 32 || tile % 32 != 0) throw new InputException($"--tile: expected a positive multiple of 32 (the model downsamples by 32), got {tile}");
        if (overlap < 0 || overlap > tile / 2) throw new InputException($"--overlap: expected 0..{tile / 2} (at most half of --tile {tile}), got {overlap}");
    }

    /// <summary>
    /// The pixel period of the encoder's window partition: patch·2^s·window_s over the stages (their least common
    /// multiple). Tiles whose origins are multiples of it see the same (shifted-)window partition as the whole
    /// image does, so with tile and overlap multiples of it, a model without global context (no ASPP image pooling
    /// or CBAM channel attention) gives tile predictions identical to the full-image one away from tile borders.
    /// </summary>
    public static int WindowPeriod(ModelSpec spec)
    {
        // 32: every stride of the network (patch embedding, merging, stem, decoder) divides it.
        long period = 32;
        var windows = spec.StageWindows();
        for (int s = 0; s < windows.Count; s++)
            period = Lcm(period, ((long)spec.PatchSize << s) * windows[s].Window);
        return checked((int)period);
    }

    private static Axis PlanAxis(int length, int tile, int overlap)
    {
        int padded = RoundUp32(length);
        if (padded <= tile) return new Axis(padded, [0], padded, [Ones(padded)]);
        int step = tile - overlap;
        int count = (length - tile + step - 1) / step + 1;
        var origins = Enumerable.Range(0, count).Select(k => k * step).ToArray();
        var weights = new float[count][];
        for (int k = 0; k < count; k++)
        {
            var w = Ones(tile);
            for (int x = 0; x < tile; x++)
            {
                double v = 1;
                if (k > 0) v *= Ramp(x, overlap);
                if (k < count - 1) v *= Ramp(tile - 1 - x, overlap);
                w[x] = (float)v;
            }
            weights[k] = w;
        }
        return new Axis(tile, origins, (count - 1) * step + tile, weights);
    }

    /// <summary>Weight at distance <paramref name="d"/> (pixels) from an interior tile edge.</summary>
    internal static double Ramp(int d, int overlap)
    {
        int margin = overlap / 4;
        int ramp = overlap - 2 * margin;
        if (ramp <= 0) return 1;
        if (d < margin) return 0;
        if (d >= margin + ramp) return 1;
        return 0.5 - 0.5 * Math.Cos(Math.PI * (d - margin + 0.5) / ramp);
    }

    private static float[] Ones(int n) => Enumerable.Repeat(1f, n).ToArray();

    internal static int RoundUp32(int v) => (v + 31) / 32 * 32;

    private static long Lcm(long a, long b) => a / Gcd(a, b) * b;
    private static long Gcd(long a, long b) => b == 0 ? a : Gcd(b, a % b);
}
