using TorchSharp;
using CrackSeg.Artifacts;
using CrackSeg.Common;
using static TorchSharp.torch;

namespace CrackSeg.Training;

/// <summary>
/// Dynamic loss scaling for fp16 with PyTorch's GradScaler semantics and LibTorch's own GradScaler ops
/// (<c>_amp_foreach_non_finite_check_and_unscale_</c>, <c>_amp_update_scale_</c>, reached through TorchScript):
/// the loss is multiplied by the scale before backward; before clipping the gradients are unscaled in place
/// and any inf/NaN raises <c>found_inf</c>; after the (possibly skipped) step the scale halves on found_inf and
/// doubles after <see cref="GrowthInterval"/> clean steps. Everything stays on the device; the scale and the
/// growth tracker are read only when a checkpoint is written.
/// </summary>
public sealed class LossScaler : IDisposable
{
    public const double InitialScale = 65536.0;
    public const double GrowthFactor = 2.0;
    public const double BackoffFactor = 0.5;
    public const int GrowthInterval = 2000;

    private static readonly Lazy<jit.CompilationUnit> Ops = TorchScript.Compile("""
        def unscale(grads: List[Tensor], found_inf: Tensor, scale: Tensor):
            torch._amp_foreach_non_finite_check_and_unscale_(grads, found_inf, scale.double().reciprocal().float())

        def update(scale: Tensor, growth_tracker: Tensor, found_inf: Tensor, growth_factor: float, backoff_factor: float, growth_interval: int):
            torch._amp_update_scale_(scale, growth_tracker, found_inf, growth_factor, backoff_factor, growth_interval)
        """);

    // The update's arguments, rooted: TorchSharp hands TorchScript a number's Scalar without keeping it alive.
    private static readonly Scalar GrowthFactorScalar = GrowthFactor, BackoffFactorScalar = BackoffFactor, GrowthIntervalScalar = (long)GrowthInterval;

    private readonly Tensor _scale;          // float32 [1]
    private readonly Tensor _growthTracker;  // int32 [1]

    public LossScaler(Device device)
    {
        using Scalar initial = InitialScale;
        _scale = full(1, initial, ScalarType.Float32, device).DetachFromDisposeScope();
        _growthTracker = zeros(1, ScalarType.Int32, device).DetachFromDisposeScope();
    }

    /// <summary>loss × scale, for backward.</summary>
    public Tensor Scale(Tensor loss) => loss * _scale.to(loss.dtype);

    /// <summary>Divides <paramref name="grads"/> by the scale in place and sets <paramref name="foundInf"/> to 1 on any inf/NaN.</summary>
    public void Unscale(IReadOnlyList<Tensor> grads, Tensor foundInf) =>
        Ops.Value.invoke("unscale", grads.ToArray(), foundInf, _scale);

    /// <summary>Backoff on <paramref name="foundInf"/>, growth after <see cref="GrowthInterval"/> clean steps.</summary>
    public void Update(Tensor foundInf) =>
        Ops.Value.invoke("update", _scale, _growthTracker, foundInf, GrowthFactorScalar, BackoffFactorScalar, GrowthIntervalScalar);

    /// <summary>The state as PyTorch's <c>GradScaler.state_dict()</c> holds it (one device read).</summary>
    public ScalerState Capture()
    {
        using var scope = NewDisposeScope();
        var values = HostSync.ReadArray<double>(cat([_scale.to(ScalarType.Float64), _growthTracker.to(ScalarType.Float64)]));
        return new ScalerState(values[0], GrowthFactor, BackoffFactor, GrowthInterval, (long)values[1]);
    }

    public void Restore(ScalerState state)
    {
        using var scope = NewDisposeScope();
        using Scalar scale = state.Scale, tracker = (double)state.GrowthTracker;
        _scale.fill_(scale);
        _growthTracker.fill_(tracker);
    }

    /// <summary>The current scale as a device tensor (tests, logging).</summary>
    public Tensor ScaleTensor => _scale;

    public void Dispose()
    {
        _scale.Dispose();
        _growthTracker.Dispose();
    }
}
