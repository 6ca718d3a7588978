using System.Diagnostics;
using CrackSeg.Common;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Evaluation;

/// <summary>Test-time augmentation of `evaluate` and `predict` (<c>--tta</c>).</summary>
public enum TtaMode
{
    /// <summary>One forward pass, the model's own output.</summary>
    None,
    /// <summary>Identity, horizontal flip and vertical flip: 3 passes.</summary>
    Flip,
    /// <summary>The 8 elements of the dihedral group (flips, rotations by 90°, transposes): 8 passes.</summary>
    D4,
}

/// <summary><c>--tta</c> values as the CLI and metrics.json spell them.</summary>
public static class TtaModes
{
    public const string Choices = "none | flip | d4";

    public static string ToKey(this TtaMode mode) => mode switch
    {
        TtaMode.Flip => "flip",
        TtaMode.D4 => "d4",
        _ => "none",
    };

    /// <exception cref="InputException">Anything but none, flip or d4.</exception>
    public static TtaMode Parse(string? value, string option = "--tta") => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "none" => TtaMode.None,
        "flip" => TtaMode.Flip,
        "d4" => TtaMode.D4,
        _ => throw new InputException($"{option}: expected {Choices}, got '{value}'"),
    };
}

/// <summary>
/// One element of the dihedral group on the last two dimensions, in the canonical form the training
/// augmentation uses (<c>DeviceAugment.Canonical</c>): flip H and/or W, then transpose or not. Every
/// combination of flips and rotations by 90° reduces to one of these eight.
/// </summary>
public readonly record struct DihedralTransform(bool FlipH, bool FlipW, bool Transpose)
{
    public static readonly DihedralTransform Identity = new(false, false, false);

    /// <summary>The transformed tensor; the identity returns <paramref name="x"/> itself (do not dispose it separately). Transposed tensors swap H and W.</summary>
    public Tensor Apply(Tensor x)
    {
        var flipped = Flip(x);
        return Transpose ? flipped.transpose(-2, -1) : flipped;
    }

    /// <summary>The inverse: <c>Invert(Apply(x)) == x</c> exactly (undo the transpose, then the same flips).</summary>
    public Tensor Invert(Tensor y) => Flip(Transpose ? y.transpose(-2, -1) : y);

    private Tensor Flip(Tensor x) =>
        FlipH && FlipW ? x.flip(-2, -1) : FlipH ? x.flip(-2) : FlipW ? x.flip(-1) : x;

    public override string ToString() =>
        this == Identity ? "identity" : string.Join("+", new[] { FlipH ? "vflip" : null, FlipW ? "hflip" : null, Transpose ? "transpose" : null }.OfType<string>());
}

/// <summary>
/// Runs a segmentation model on every transform of a <see cref="TtaMode"/>, maps each output back with the
/// inverse transform and averages the probabilities (not the logits, as MMSegmentation and timm do). The one
/// place `evaluate` (whole images) and `predict` (each batch of tiles, before blending) augment; tiling and
/// blending do not change. The model sees transposed inputs with H and W swapped, which a fully
/// convolutional model with sides that are multiples of 32 accepts.
/// </summary>
public sealed class TestTimeAugmentation
{
    /// <summary>Logits below this magnitude keep their sigmoid; saturated averages (p = 0 or 1) are clamped to it.</summary>
    private const double LogitLimit = 100;

    private double _identitySeconds, _allSeconds;

    public TestTimeAugmentation(TtaMode mode)
    {
        Mode = mode;
        Transforms = TransformsOf(mode);
    }

    /// <summary>No augmentation (shared: it measures nothing).</summary>
    public static readonly TestTimeAugmentation None = new(TtaMode.None);

    public TtaMode Mode { get; }
    public IReadOnlyList<DihedralTransform> Transforms { get; }

    /// <summary>Forward passes per input: the factor by which TTA multiplies the model's share of the run time.</summary>
    public int Passes => Transforms.Count;

    /// <summary>
    /// Measured cost: the time of all passes over the time of the identity pass alone, summed over every call so
    /// far (≈ <see cref="Passes"/>, more when transposed inputs run slower). Measured on the CPU only, where each
    /// forward pass has finished when it returns; null on an accelerator, or before any call. 1 for none.
    /// </summary>
    public double? MeasuredTimeFactor => Mode == TtaMode.None ? 1.0 : _identitySeconds > 0 ? _allSeconds / _identitySeconds : null;

    /// <summary>The transforms of a mode, identity first.</summary>
    public static IReadOnlyList<DihedralTransform> TransformsOf(TtaMode mode) => mode switch
    {
        TtaMode.None => [DihedralTransform.Identity],
        TtaMode.Flip => [DihedralTransform.Identity, new(false, true, false), new(true, false, false)],
        _ => [.. from t in new[] { false, true } from h in new[] { false, true } from w in new[] { false, true } select new DihedralTransform(h, w, t)],
    };

    /// <summary>
    /// Float32 probabilities [N, 1, H, W] of normalised images [N, 3, H, W] (in the caller's dispose scope):
    /// the mean over the transforms of sigmoid(model(T(x))) mapped back by T⁻¹.
    /// </summary>
    /// <param name="model">Images to N×1×H×W logits (any float dtype).</param>
    public Tensor Probabilities(Func<Tensor, Tensor> model, Tensor images)
    {
        using var scope = NewDisposeScope();
        bool timed = Mode != TtaMode.None && images.device_type == DeviceType.CPU;
        Tensor? sum = null;
        foreach (var t in Transforms)
        {
            using var pass = NewDisposeScope();
            long start = Stopwatch.GetTimestamp();
            var probabilities = t.Invert(sigmoid(model(t.Apply(images)).to(ScalarType.Float32)));
            sum = sum is null ? probabilities.contiguous().MoveToOuterDisposeScope() : sum.PlusInPlace(probabilities);
            if (!timed) continue;
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            _allSeconds += seconds;
            if (t == DihedralTransform.Identity) _identitySeconds += seconds;
        }
        if (Passes > 1)
        {
            using Scalar passes = Passes;
            sum!.div_(passes);
        }
        return sum!.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Logits whose sigmoid is <see cref="Probabilities"/>, for code that scores logits (the metric accumulator,
    /// the loss). Without augmentation these are the model's own logits, untouched.
    /// </summary>
    public Tensor Logits(Func<Tensor, Tensor> model, Tensor images)
    {
        if (Mode == TtaMode.None) return model(images);
        using var scope = NewDisposeScope();
        var p = Probabilities(model, images).to(ScalarType.Float64);
        var logits = p.log().sub_(p.neg().log1p_()).ClampedInPlace(-LogitLimit, LogitLimit).to(ScalarType.Float32);
        return logits.MoveToOuterDisposeScope();
    }
}
