using CrackSeg.Artifacts;
using CrackSeg.Common;
using CrackSeg.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Evaluation;

/// <summary>
/// Conversions between images on disk, host bytes and model tensors, with the data pipeline's ImageNet
/// normalisation (<see cref="DeviceAugment.Mean"/>, <see cref="DeviceAugment.Std"/>), and the PNG writers
/// of evaluate and predict (atomic: temp file + rename).
/// </summary>
internal static class ImageTensors
{
    /// <summary>
    /// The addcmul factor and the 0–255 range (integral, as before), rooted so they outlive every native call; in a
    /// holder type because making a Scalar loads LibTorch, and the ONNX host path uses this type without it.
    /// </summary>
    private static class Constants
    {
        internal static readonly Scalar Unit = 1.0;
        internal static readonly Scalar Black = 0, White = 255;
    }

    /// <summary>[3, H, W] float32 ImageNet-normalised on <paramref name="device"/> from RGB24 bytes (row-major HWC).</summary>
    public static Tensor Normalised(byte[] rgb, int height, int width, Device device)
    {
        using var scope = NewDisposeScope();
        var hwc = tensor(rgb, [height, width, 3], ScalarType.Byte, CPU).to(device);
        var chw = hwc.permute(2, 0, 1).to(ScalarType.Float32);
        var scale = tensor(DeviceAugment.Std.Select(s => 1f / (255f * s)).ToArray(), [3, 1, 1], device: device);
        var shift = tensor(DeviceAugment.Mean.Zip(DeviceAugment.Std, (m, s) => -m / s).ToArray(), [3, 1, 1], device: device);
        return addcmul(shift, chw, scale, Constants.Unit).MoveToOuterDisposeScope();
    }

    /// <summary>Undoes the normalisation: [3, H, W] (or [N, 3, H, W]) → the same shape in 0–255 float32, clamped.</summary>
    public static Tensor Denormalised255(Tensor normalised)
    {
        using var scope = NewDisposeScope();
        long[] shape = normalised.dim() == 4 ? [1, 3, 1, 1] : [3, 1, 1];
        var std = tensor(DeviceAugment.Std.Select(s => s * 255f).ToArray(), shape, device: normalised.device);
        var mean = tensor(DeviceAugment.Mean.Select(m => m * 255f).ToArray(), shape, device: normalised.device);
        return normalised.mul(std).PlusInPlace(mean).clamp_(Constants.Black, Constants.White).MoveToOuterDisposeScope();
    }

    /// <summary>Host RGB24 bytes of a [3, H, W] 0–255 tensor (rounded).</summary>
    public static byte[] RgbBytes(Tensor chw255)
    {
        using var scope = NewDisposeScope();
        var hwc = chw255.round().clamp(Constants.Black, Constants.White).to(ScalarType.Byte).permute(1, 2, 0).contiguous().cpu();
        return hwc.bytes.ToArray();
    }

    /// <summary>Host grey bytes of an [H, W] 0–255 tensor (rounded).</summary>
    public static byte[] GreyBytes(Tensor hw255)
    {
        using var scope = NewDisposeScope();
        return hw255.round().clamp(Constants.Black, Constants.White).to(ScalarType.Byte).contiguous().cpu().bytes.ToArray();
    }

    public static void WriteRgbPng(string path, byte[] rgb, int width, int height)
    {
        using var image = Image.LoadPixelData<Rgb24>(rgb, width, height);
        AtomicFile.Write(path, stream => image.SaveAsPng(stream));
    }

    public static void WriteGreyPng(string path, byte[] grey, int width, int height)
    {
        using var image = Image.LoadPixelData<L8>(grey, width, height);
        AtomicFile.Write(path, stream => image.SaveAsPng(stream));
    }
}
