using static TorchSharp.torch;

namespace CrackSeg.Data;

/// <summary>
/// One batch on the training device. The tensors belong to no dispose scope: the consumer owns
/// them and disposes the batch (<c>using var batch = ...</c>); tensors computed from them land in
/// the consumer's own scope as usual.
/// </summary>
public sealed class Batch : IDisposable
{
    internal Batch(Tensor images, Tensor masks, Tensor? valid, string[] stems, int[] sampleIndices, (int Height, int Width)[] contentSizes)
    {
        Images = images;
        Masks = masks;
        Valid = valid;
        Stems = stems;
        SampleIndices = sampleIndices;
        ContentSizes = contentSizes;
    }

    /// <summary>[N, 3, H, W] float32, ImageNet-normalised.</summary>
    public Tensor Images { get; }
    /// <summary>[N, 1, H, W] float32, exactly 0 or 1.</summary>
    public Tensor Masks { get; }
    /// <summary>
    /// [N, 1, H, W] float32: 1 on image content, 0 on padding (images smaller than the canvas, or
    /// evaluation sizes rounded up to 32). Null when nothing in the batch is padded — the usual case.
    /// </summary>
    public Tensor? Valid { get; }
    public string[] Stems { get; }
    /// <summary>Index of each sample in the loader's sample list.</summary>
    public int[] SampleIndices { get; }
    /// <summary>
    /// (height, width) of each sample's content on the canvas, before flips/rotations; in evaluation
    /// batches the content sits at the top-left corner, so predictions crop back with these.
    /// </summary>
    public (int Height, int Width)[] ContentSizes { get; }
    public int Count => Stems.Length;

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Images.Dispose();
        Masks.Dispose();
        Valid?.Dispose();
    }
}
