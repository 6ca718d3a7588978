using CrackSeg.Common;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CrackSeg.Training;

/// <summary>
/// Global-norm gradient clipping computed on the device. TorchSharp's clip_grad_norm_ returns the
/// norm as a double, which is a host sync per step; this keeps the norm as a device scalar so the
/// loop can read it only at log steps.
/// </summary>
public static class GradientClipper
{
    /// <summary>Returns the total L2 norm of all gradients (a device scalar) and clips to <paramref name="maxNorm"/> when > 0.</summary>
    public static Tensor ClipByGlobalNorm(IReadOnlyList<Parameter> parameters, double maxNorm)
    {
        var grads = parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToList();
        if (grads.Count == 0) throw new InvalidOperationException("no gradients to clip: call backward() first");
        Tensor total;
        // Two native calls per gradient at most (a norm, a multiply): this runs every step over a few
        // hundred tensors, so conversions are made only where a dtype differs.
        using (var norms = stack(grads.Select(g => g.dtype == ScalarType.Float32
                   ? g.norm(2f)
                   : g.to(ScalarType.Float32).norm(2f)).ToArray()))
            total = norms.norm(2f);
        if (maxNorm > 0)
        {
            using var coef = ClipCoefficient(total, maxNorm);
            var coefByType = new Dictionary<ScalarType, Tensor> { [coef.dtype] = coef };
            foreach (var g in grads)
            {
                if (!coefByType.TryGetValue(g.dtype, out var c)) coefByType[g.dtype] = c = coef.to(g.dtype);
                g.mul_(c);
            }
        }
        return total;
    }

    /// <summary>min(1, max_norm / (norm + 1e-6)), as torch.nn.utils.clip_grad_norm_ computes it (a device scalar).</summary>
    internal static Tensor ClipCoefficient(Tensor totalNorm, double maxNorm) => totalNorm.Plus(1e-6).DividedInto(maxNorm).clamp_max(MaxCoefficient);

    private static readonly Scalar MaxCoefficient = 1.0;
}
