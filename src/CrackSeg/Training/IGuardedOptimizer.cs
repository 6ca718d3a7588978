using static TorchSharp.torch;

namespace CrackSeg.Training;

/// <summary>
/// An optimizer whose step can be skipped on the device: <paramref name="foundInf"/> (float32, one element, 0 or 1,
/// on the parameters' device) set to 1 leaves parameters, moments and step counts as they were, without a host
/// read — PyTorch's GradScaler contract for <c>found_inf</c>. The trainer's non-finite guard and fp16 loss scaling
/// both drive it, so a bad step costs no device sync.
/// </summary>
public interface IGuardedOptimizer
{
    void Step(Tensor foundInf);
}
