using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using CrackSeg.Common;

namespace CrackSeg.Training;

/// <summary>
/// Adam and AdamW as LibTorch's fused kernels (<c>torch._fused_adam_</c> / <c>torch._fused_adamw_</c>, the ops
/// behind PyTorch's <c>fused=True</c>), which TorchSharp does not bind: reached through TorchScript, one call per
/// parameter group and (device, dtype). The kernels take PyTorch's <c>found_inf</c>: when it is 1 the step leaves
/// parameters and moments untouched on the device, and the step counters are decremented back, so a skipped
/// step needs no host read (PyTorch's <c>_fused_adam</c> wrapper does the same). Step counters are float32 scalar
/// tensors on the parameters' device, as PyTorch keeps them for fused optimizers.
/// </summary>
internal static class FusedAdamKernel
{
    /// <summary>Compiled once per process. A TorchScript compile error aborts the process, so this text is fixed and tested.</summary>
    private static readonly Lazy<jit.CompilationUnit> Unit = TorchScript.Compile(Source);

    private const string Source = """
        def fused_step(params: List[Tensor], grads: List[Tensor], exp_avgs: List[Tensor], exp_avg_sqs: List[Tensor], max_exp_avg_sqs: List[Tensor], steps: List[Tensor], lr: float, beta1: float, beta2: float, weight_decay: float, eps: float, amsgrad: bool, decoupled: bool, found_inf: Tensor):
            torch._foreach_add_(steps, 1)
            if decoupled:
                torch._fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay, eps=eps, amsgrad=amsgrad, maximize=False, grad_scale=None, found_inf=found_inf)
            else:
                torch._fused_adam_(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay, eps=eps, amsgrad=amsgrad, maximize=False, grad_scale=None, found_inf=found_inf)
            skipped = found_inf.reshape([])
            for count in steps:
                count.sub_(skipped)
        """;

    /// <summary>The tensors of one fused call: parameters of one (device, dtype) with their gradients and state.</summary>
    public sealed record Bucket(Tensor[] Params, Tensor[] Grads, Tensor[] ExpAvgs, Tensor[] ExpAvgSqs, Tensor[] MaxExpAvgSqs, Tensor[] Steps);

    /// <summary>Runs one fused step over <paramref name="bucket"/>; <paramref name="foundInf"/> is a float32 0/1 tensor on their device.</summary>
    public static void Step(bool decoupled, Bucket bucket, double lr, double beta1, double beta2, double weightDecay, double eps, bool amsgrad, Tensor foundInf)
    {
        // Scalars, not doubles: TorchSharp would hand TorchScript a double's Scalar without keeping it alive.
        using Scalar lrScalar = lr, beta1Scalar = beta1, beta2Scalar = beta2, weightDecayScalar = weightDecay, epsScalar = eps;
        Unit.Value.invoke("fused_step", bucket.Params, bucket.Grads, bucket.ExpAvgs, bucket.ExpAvgSqs, bucket.MaxExpAvgSqs,
            bucket.Steps, lrScalar, beta1Scalar, beta2Scalar, weightDecayScalar, epsScalar, amsgrad, decoupled, foundInf);
    }
}
