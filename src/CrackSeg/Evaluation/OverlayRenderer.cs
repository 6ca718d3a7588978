using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Evaluation;

/// <summary>
/// Colours predictions over the input image, on the tensors' device: with a ground truth, true positives
/// green, false positives red and false negatives blue; without one (predict), predicted crack pixels red.
/// Coloured pixels are blended at <see cref="Alpha"/> so the surface texture stays visible.
/// </summary>
internal static class OverlayRenderer
{
    public const double Alpha = 0.7;
    public const string Legend = "true positive green, false positive red, false negative blue";

    /// <summary>
    /// The blend weights, rooted so they outlive every native call; in a holder type because making a Scalar loads
    /// LibTorch, and the ONNX host path uses this type without it.
    /// </summary>
    private static class Constants
    {
        internal static readonly Scalar KeepWeight = 1 - Alpha, PaintWeight = Alpha;
    }

    private static readonly float[] Green = [0, 200, 0];
    private static readonly float[] Red = [255, 0, 0];
    private static readonly float[] Blue = [0, 80, 255];

    /// <summary>RGB24 bytes of the comparison overlay. All inputs cover the same H x W: image [3, H, W] 0–255, masks [H, W] bool.</summary>
    public static byte[] Compare(Tensor image255, Tensor predicted, Tensor target)
    {
        using var scope = NewDisposeScope();
        var tp = predicted.logical_and(target);
        var fp = predicted.logical_and(target.logical_not());
        var fn = target.logical_and(predicted.logical_not());
        var coloured = Paint(image255, (tp, Green), (fp, Red), (fn, Blue));
        return ImageTensors.RgbBytes(coloured);
    }

    /// <summary>RGB24 bytes of the prediction overlay: image [3, H, W] 0–255, predicted [H, W] bool.</summary>
    public static byte[] Prediction(Tensor image255, Tensor predicted)
    {
        using var scope = NewDisposeScope();
        return ImageTensors.RgbBytes(Paint(image255, (predicted, Red)));
    }

    /// <summary>
    /// The prediction overlay on host bytes (the ONNX path, no LibTorch): RGB24 <paramref name="rgb"/>, mask bytes
    /// (non-zero = crack); the same blend and rounding as the tensor version.
    /// </summary>
    public static byte[] Prediction(byte[] rgb, byte[] mask)
    {
        var result = (byte[])rgb.Clone();
        for (int i = 0; i < mask.Length; i++)
        {
            if (mask[i] == 0) continue;
            for (int ch = 0; ch < 3; ch++)
                result[i * 3 + ch] = (byte)Math.Clamp(MathF.Round((float)(rgb[i * 3 + ch] * (1 - Alpha) + Red[ch] * Alpha)), 0f, 255f);
        }
        return result;
    }

    private static Tensor Paint(Tensor image255, params (Tensor Mask, float[] Colour)[] layers)
    {
        var result = image255.to(ScalarType.Float32).clone();
        foreach (var (mask, colour) in layers)
        {
            var c = tensor(colour, [3, 1, 1], device: image255.device);
            var blended = result.mul(Constants.KeepWeight).add_(c, Constants.PaintWeight);
            result = where(mask.unsqueeze(0), blended, result);
        }
        return result;
    }
}
