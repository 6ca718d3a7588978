using CrackSeg.Data;

namespace CrackSeg.Evaluation;

/// <summary>
/// <see cref="TiledInference"/> without TorchSharp, for an exported model in ONNX Runtime: the same
/// <see cref="TileGrid"/> (tiles of the export size, raised-cosine blend weights), the canvas padded with the
/// ImageNet mean colour (what the torch path's zero after normalisation is), and the blend as plain float
/// arrays. `predict --model FILE.onnx` runs on it, so a build without LibTorch's natives predicts.
/// </summary>
public sealed class HostTiledInference
{
    private readonly OnnxRuntimeModel _onnx;

    /// <exception cref="Common.InputException">An overlap outside 0..S/2.</exception>
    public HostTiledInference(OnnxRuntimeModel onnx, int overlap = 64, int batchSize = 4)
    {
        TileGrid.Validate(onnx.Size, overlap);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "at least one tile per batch");
        _onnx = onnx;
        Overlap = overlap;
        BatchSize = batchSize;
    }

    public int Tile => _onnx.Size;
    public int Overlap { get; }
    public int BatchSize { get; }

    public TileGrid Plan(int height, int width) => TileGrid.Plan(height, width, Tile, Overlap);

    /// <summary>[H·W] probabilities (row-major) of RGB24 pixels (row-major HWC).</summary>
    public float[] Probabilities(byte[] rgb, int width, int height)
    {
        var grid = Plan(height, width);
        int s = Tile, canvasWidth = grid.CanvasWidth;
        var sum = new float[grid.CanvasHeight * canvasWidth];
        var weightSum = new float[sum.Length];
        foreach (var chunk in grid.Tiles().Chunk(BatchSize))
        {
            var input = new float[chunk.Length * 3 * s * s];
            for (int j = 0; j < chunk.Length; j++)
                FillTile(input.AsSpan(j * 3 * s * s, 3 * s * s), rgb, width, height, grid.Rows.Origins[chunk[j].Row], grid.Cols.Origins[chunk[j].Col], s);
            var (_, probabilities) = _onnx.Run(input, chunk.Length);
            for (int j = 0; j < chunk.Length; j++)
            {
                var (r, c) = chunk[j];
                float[] rowWeights = grid.Rows.Weights[r], colWeights = grid.Cols.Weights[c];
                int top = grid.Rows.Origins[r], left = grid.Cols.Origins[c];
                for (int y = 0; y < grid.TileHeight; y++)
                for (int x = 0; x < grid.TileWidth; x++)
                {
                    float weight = rowWeights[y] * colWeights[x];
                    int at = (top + y) * canvasWidth + left + x;
                    sum[at] += probabilities[(j * s + y) * s + x] * weight;
                    weightSum[at] += weight;
                }
            }
        }
        var result = new float[height * width];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                result[y * width + x] = sum[y * canvasWidth + x] / weightSum[y * canvasWidth + x];
        return result;
    }

    /// <summary>One planar [3, S, S] tile in [0, 1] from the image at (top, left), the mean colour outside it.</summary>
    private static void FillTile(Span<float> tile, byte[] rgb, int width, int height, int top, int left, int s)
    {
        for (int ch = 0; ch < 3; ch++)
        {
            var plane = tile.Slice(ch * s * s, s * s);
            plane.Fill(DeviceAugment.Mean[ch]);
            for (int y = 0; y < s && top + y < height; y++)
                for (int x = 0; x < s && left + x < width; x++)
                    plane[y * s + x] = rgb[((top + y) * width + left + x) * 3 + ch] / 255f;
        }
    }
}
