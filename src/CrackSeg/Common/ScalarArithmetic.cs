using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Common;

/// <summary>
/// Tensor-and-number arithmetic whose <see cref="Scalar"/>s outlive the native call. TorchSharp 0.107 passes a
/// Scalar's raw handle to LibTorch without keeping the managed object alive, and Scalar frees its native value in a
/// finalizer: a temporary Scalar — <c>t * 0.5</c>, <c>1 - t</c>, or the <c>alpha = 1</c> that <c>add(Tensor)</c> and
/// <c>a + b</c> make inside TorchSharp — can be freed by a collection on another thread while LibTorch reads it.
/// Here every Scalar is a <c>using</c> local (alive until the call returns, then freed at once instead of by the
/// finalizer) or the rooted <see cref="One"/>. Each method is the same ATen op as the operator it replaces, so
/// results are bit for bit unchanged. <c>ScalarLifetimeRuleTests</c> keeps temporary Scalars out of the library.
/// A <c>static readonly</c> Scalar constant goes in a nested holder type where the outer type has host-only code:
/// making a Scalar loads LibTorch, and <c>predict --backend onnx</c> runs without it (CI deletes LibTorch to check).
/// </summary>
public static class ScalarArithmetic
{
    /// <summary>The <c>alpha</c> of every add: one rooted instance, never finalized.</summary>
    public static readonly Scalar One = 1;

    /// <summary><c>a + b</c>.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary><c>a += b</c> in place.</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, One);

    /// <summary><c>t + value</c>; an integral value keeps an integer tensor integral.</summary>
    public static Tensor Plus(this Tensor t, double value) { using Scalar s = value; return t.add(s, One); }

    /// <inheritdoc cref="Plus(Tensor, double)"/>
    public static Tensor Plus(this Tensor t, long value) { using Scalar s = value; return t.add(s, One); }

    /// <summary><c>t += value</c> in place.</summary>
    public static Tensor PlusInPlace(this Tensor t, double value) { using Scalar s = value; return t.add_(s, One); }

    /// <inheritdoc cref="PlusInPlace(Tensor, double)"/>
    public static Tensor PlusInPlace(this Tensor t, long value) { using Scalar s = value; return t.add_(s, One); }

    /// <summary><c>t - value</c>.</summary>
    public static Tensor Minus(this Tensor t, double value) { using Scalar s = value; return t.sub(s); }

    /// <inheritdoc cref="Minus(Tensor, double)"/>
    public static Tensor Minus(this Tensor t, long value) { using Scalar s = value; return t.sub(s); }

    /// <summary><c>value - t</c>, computed as TorchSharp's operator does (<c>-t + value</c>).</summary>
    public static Tensor SubtractedFrom(this Tensor t, double value)
    {
        using Scalar s = value;
        using var negated = t.negative();
        return negated.add(s, One);
    }

    /// <inheritdoc cref="SubtractedFrom(Tensor, double)"/>
    public static Tensor SubtractedFrom(this Tensor t, long value)
    {
        using Scalar s = value;
        using var negated = t.negative();
        return negated.add(s, One);
    }

    /// <summary><c>t · value</c>.</summary>
    public static Tensor Times(this Tensor t, double value) { using Scalar s = value; return t.mul(s); }

    /// <inheritdoc cref="Times(Tensor, double)"/>
    public static Tensor Times(this Tensor t, long value) { using Scalar s = value; return t.mul(s); }

    /// <summary><c>t ·= value</c> in place.</summary>
    public static Tensor TimesInPlace(this Tensor t, double value) { using Scalar s = value; return t.mul_(s); }

    /// <inheritdoc cref="TimesInPlace(Tensor, double)"/>
    public static Tensor TimesInPlace(this Tensor t, long value) { using Scalar s = value; return t.mul_(s); }

    /// <summary><c>t / value</c>.</summary>
    public static Tensor Over(this Tensor t, double value) { using Scalar s = value; return t.div(s); }

    /// <inheritdoc cref="Over(Tensor, double)"/>
    public static Tensor Over(this Tensor t, long value) { using Scalar s = value; return t.div(s); }

    /// <summary><c>t /= value</c> in place.</summary>
    public static Tensor OverInPlace(this Tensor t, double value) { using Scalar s = value; return t.div_(s); }

    /// <summary><c>value / t</c>, computed as TorchSharp's operator does (<c>reciprocal(t) · value</c>).</summary>
    public static Tensor DividedInto(this Tensor t, double value)
    {
        using Scalar s = value;
        using var reciprocal = t.reciprocal();
        return reciprocal.mul(s);
    }

    /// <summary><c>t</c> clamped to [min, max] (either side optional).</summary>
    public static Tensor Clamped(this Tensor t, double? min = null, double? max = null)
    {
        using Scalar? lo = min is { } a ? a : null;
        using Scalar? hi = max is { } b ? b : null;
        return t.clamp(lo, hi);
    }

    /// <summary><c>t</c> clamped to [min, max] in place.</summary>
    public static Tensor ClampedInPlace(this Tensor t, double? min = null, double? max = null)
    {
        using Scalar? lo = min is { } a ? a : null;
        using Scalar? hi = max is { } b ? b : null;
        return t.clamp_(lo, hi);
    }

    /// <summary><c>t</c> raised to <paramref name="exponent"/>.</summary>
    public static Tensor Power(this Tensor t, double exponent) { using Scalar s = exponent; return t.pow(s); }

    /// <summary><c>start, start + 1, …, end - 1</c> on <paramref name="device"/> (step given, so TorchSharp makes no Scalar).</summary>
    public static Tensor Range(long start, long end, ScalarType dtype, Device device)
    {
        using Scalar a = start, b = end;
        return arange(a, b, One, dtype, device);
    }
}
