using CrackSeg.Common;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Evaluation;

/// <summary>
/// Crack probabilities of an image of any size: the image is padded (ImageNet mean colour, i.e. 0 after
/// normalisation, as evaluation batches pad) onto the canvas of a <see cref="TileGrid"/>, the tiles run through
/// the model in batches (each batch through the <see cref="TestTimeAugmentation"/>, if any), and their sigmoid
/// outputs are blended with the grid's weights, all on the model's device.
/// </summary>
public sealed class TiledInference
{
    /// <summary>The factor of the weighted-probability accumulation, rooted so it outlives every call (in a holder: a Scalar loads LibTorch).</summary>
    private static class Constants
    {
        internal static readonly Scalar Unit = 1.0;
    }

    private readonly nn.Module<Tensor, Tensor> _model;

    /// <param name="model">A segmentation model returning N×1×H×W logits; put it in eval mode first.</param>
    /// <param name="tile">Tile side in pixels (multiple of 32).</param>
    /// <param name="overlap">Pixels shared by neighbouring tiles (0..tile/2).</param>
    /// <param name="batchSize">Tiles per forward pass.</param>
    /// <param name="tta">Test-time augmentation of each batch of tiles (before blending); null: none.</param>
    public TiledInference(nn.Module<Tensor, Tensor> model, int tile = 512, int overlap = 64, int batchSize = 4, TestTimeAugmentation? tta = null)
    {
        TileGrid.Validate(tile, overlap);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "at least one tile per batch");
        _model = model;
        Tile = tile;
        Overlap = overlap;
        BatchSize = batchSize;
        Tta = tta ?? TestTimeAugmentation.None;
    }

    public int Tile { get; }
    public int Overlap { get; }
    public int BatchSize { get; }
    public TestTimeAugmentation Tta { get; }

    public TileGrid Plan(int height, int width) => TileGrid.Plan(height, width, Tile, Overlap);

    /// <summary>[H, W] float32 probabilities (in the caller's dispose scope) of a normalised [3, H, W] image on the model's device.</summary>
    public Tensor Probabilities(Tensor image)
    {
        RequireImage(image);
        int height = (int)image.shape[1], width = (int)image.shape[2];
        var grid = Plan(height, width);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var device = image.device;
        var canvas = Pad(image, grid.CanvasHeight, grid.CanvasWidth);
        var sum = zeros(grid.CanvasHeight, grid.CanvasWidth, dtype: ScalarType.Float32, device: device);
        var weightSum = zeros(grid.CanvasHeight, grid.CanvasWidth, dtype: ScalarType.Float32, device: device);
        var rowWeights = grid.Rows.Weights.Select(w => tensor(w, device: device).unsqueeze(1)).ToArray();
        var colWeights = grid.Cols.Weights.Select(w => tensor(w, device: device).unsqueeze(0)).ToArray();

        foreach (var chunk in grid.Tiles().Chunk(BatchSize))
        {
            using var batchScope = NewDisposeScope();
            var input = stack(chunk.Select(t => canvas
                .narrow(1, grid.Rows.Origins[t.Row], grid.TileHeight)
                .narrow(2, grid.Cols.Origins[t.Col], grid.TileWidth)).ToArray());
            var probabilities = Tta.Probabilities(_model.call, input);
            for (int j = 0; j < chunk.Length; j++)
            {
                var (r, c) = chunk[j];
                var weight = rowWeights[r] * colWeights[c];
                sum.narrow(0, grid.Rows.Origins[r], grid.TileHeight).narrow(1, grid.Cols.Origins[c], grid.TileWidth)
                    .addcmul_(probabilities[j, 0], weight, Constants.Unit);
                weightSum.narrow(0, grid.Rows.Origins[r], grid.TileHeight).narrow(1, grid.Cols.Origins[c], grid.TileWidth)
                    .PlusInPlace(weight);
            }
        }
        var blended = sum.narrow(0, 0, height).narrow(1, 0, width) / weightSum.narrow(0, 0, height).narrow(1, 0, width);
        return blended.MoveToOuterDisposeScope();
    }

    /// <summary>The whole image in one forward pass (padded to multiples of 32): the reference tiling must match.</summary>
    public Tensor ProbabilitiesUntiled(Tensor image)
    {
        RequireImage(image);
        int height = (int)image.shape[1], width = (int)image.shape[2];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var canvas = Pad(image, TileGrid.RoundUp32(height), TileGrid.RoundUp32(width));
        var probabilities = Tta.Probabilities(_model.call, canvas.unsqueeze(0))[0, 0];
        return probabilities.narrow(0, 0, height).narrow(1, 0, width).contiguous().MoveToOuterDisposeScope();
    }

    private static Tensor Pad(Tensor image, int height, int width) =>
        height == image.shape[1] && width == image.shape[2]
            ? image
            : nn.functional.pad(image, [0, width - image.shape[2], 0, height - image.shape[1]]);

    private static void RequireImage(Tensor image)
    {
        if (image.dim() != 3 || image.shape[0] != 3)
            throw new ArgumentException($"expected a normalised 3×H×W image, got [{string.Join(", ", image.shape)}]", nameof(image));
    }
}
