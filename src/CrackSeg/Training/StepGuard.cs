using CrackSeg.Common;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Training;

/// <summary>
/// The non-finite guard, kept on the device. Each optimizer step gets a <c>found_inf</c> flag (float32 [1], 0 or 1):
/// set by fp16's unscale when a gradient overflowed, and here when the loss or the gradient norm is not finite.
/// The same flag skips the step inside the optimizer (<see cref="IGuardedOptimizer"/>) and backs off the loss
/// scale, so there is one mechanism and no host read per step. Skipped steps and the longest run of consecutive
/// skips are counted on the device and read with the log-step reads; <c>training.max_bad_steps</c> is enforced at
/// the read that first sees the run reach it.
/// </summary>
internal sealed class StepGuard : IDisposable
{
    private readonly Tensor _counters;   // [skipped, current run, longest run], float64

    public StepGuard(Device device)
    {
        _counters = zeros(3, ScalarType.Float64, device).DetachFromDisposeScope();
    }

    /// <summary>A fresh flag for the next step (0 = finite so far), in the caller's dispose scope.</summary>
    public static Tensor NewFlag(Device device) => zeros(1, ScalarType.Float32, device);

    /// <summary>Raises <paramref name="foundInf"/> to 1 when <paramref name="loss"/> or <paramref name="gradNorm"/> is not finite.</summary>
    public static void Check(Tensor foundInf, Tensor loss, Tensor gradNorm)
    {
        using var scope = NewDisposeScope();
        var finite = isfinite(loss.detach()).all().logical_and(isfinite(gradNorm).all());
        foundInf.copy_(foundInf.maximum(finite.logical_not().to(ScalarType.Float32).view(1)));
    }

    /// <summary>Counts the step <paramref name="foundInf"/> decided (device ops only).</summary>
    public void Record(Tensor foundInf)
    {
        using var scope = NewDisposeScope();
        var found = foundInf.to(ScalarType.Float64).view(1);
        _counters.narrow(0, 0, 1).PlusInPlace(found);
        var run = _counters.narrow(0, 1, 1);
        run.PlusInPlace(1).mul_(found);                    // +1 on a skip, back to 0 on an applied step
        var longest = _counters.narrow(0, 2, 1);
        longest.copy_(longest.maximum(run));
    }

    /// <summary>The counters as a device tensor [skipped, current run, longest run], to read together with other values.</summary>
    public Tensor Counters => _counters;

    /// <summary>Starts a new epoch's counts (the run of consecutive skips continues across epochs).</summary>
    public void ResetEpochCounts()
    {
        using var scope = NewDisposeScope();
        _counters.narrow(0, 0, 1).zero_();
        _counters.narrow(0, 2, 1).copy_(_counters.narrow(0, 1, 1));
    }

    public void Dispose() => _counters.Dispose();
}
