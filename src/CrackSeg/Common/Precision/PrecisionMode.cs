using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Common.Precision;

/// <summary>
/// One value of <c>training.precision</c> (and <c>--precision</c> of evaluate/predict): what runs in reduced
/// precision and how. Weights, gradients, optimizer state and checkpoints stay float32 in every mode.
/// <list type="bullet">
/// <item><c>fp32</c>: no autocast; on CUDA PyTorch's defaults: cuDNN convolutions may use TF32, matmuls do not.</item>
/// <item><c>tf32</c>: no autocast; on CUDA TF32 for matmuls too (Ampere and later). On the CPU it equals fp32.</item>
/// <item><c>bf16</c>: LibTorch autocast to bfloat16 around forward + loss (CPU with avx512_bf16/AMX, CUDA).</item>
/// <item><c>fp16</c>: autocast to float16 plus dynamic loss scaling (<see cref="LossScaling"/>), as PyTorch's AMP.</item>
/// </list>
/// </summary>
public sealed record PrecisionMode(string Name, ScalarType? AutocastDtype, bool LossScaling, bool MatmulTf32)
{
    public static readonly PrecisionMode Fp32 = new("fp32", null, LossScaling: false, MatmulTf32: false);
    public static readonly PrecisionMode Tf32 = new("tf32", null, LossScaling: false, MatmulTf32: true);
    public static readonly PrecisionMode Bf16 = new("bf16", ScalarType.BFloat16, LossScaling: false, MatmulTf32: false);
    public static readonly PrecisionMode Fp16 = new("fp16", ScalarType.Float16, LossScaling: true, MatmulTf32: false);

    public static readonly IReadOnlyList<PrecisionMode> All = [Fp32, Tf32, Bf16, Fp16];

    /// <summary>The accepted names, in the order of <see cref="All"/>.</summary>
    public static IReadOnlyList<string> Names => All.Select(m => m.Name).ToArray();

    public bool UsesAutocast => AutocastDtype is not null;

    /// <summary>Why LibTorch's autocast cannot be used here (a missing export), or null when bf16/fp16 are available.</summary>
    public static string? AutocastUnavailableReason => LibTorchAutocast.Problem;

    /// <exception cref="InputException">Unknown name; the message names <paramref name="key"/>.</exception>
    public static PrecisionMode Parse(string name, string key) =>
        All.FirstOrDefault(m => m.Name == name)
        ?? throw new InputException($"{key}: unknown precision '{name}'; expected one of {string.Join(", ", Names)}");

    /// <summary>
    /// Checks that this mode can run on <paramref name="device"/> before anything is written: autocast modes need
    /// LibTorch's autocast exports. <paramref name="key"/> names the setting in the message.
    /// </summary>
    /// <exception cref="InputException">The LibTorch in use does not export autocast.</exception>
    public void EnsureAvailable(Device device, string key) => EnsureAvailable(LibTorchAutocast.Problem, key);

    /// <summary><see cref="EnsureAvailable(Device, string)"/> given what is missing from LibTorch (null: nothing).</summary>
    internal void EnsureAvailable(string? autocastProblem, string key)
    {
        if (UsesAutocast && autocastProblem is not null)
            throw new InputException($"{key}: {Name} needs LibTorch's autocast, which is not available here ({autocastProblem}); use fp32");
    }

    /// <summary>
    /// Sets the process-wide TF32 switches for this mode on CUDA (no effect on the CPU, where they do not exist).
    /// cuDNN TF32 stays on in every mode, as PyTorch's default; matmul TF32 only for <c>tf32</c>.
    /// </summary>
    public void ApplyBackendFlags(Device device)
    {
        if (device.type != DeviceType.CUDA) return;
        backends.cuda.matmul.allow_tf32 = MatmulTf32;
        backends.cudnn.allow_tf32 = true;
    }

    /// <summary>
    /// The mode named <paramref name="name"/>, checked for <paramref name="device"/> and with its backend flags set:
    /// what every command that runs the model does before building anything. <paramref name="key"/> names the setting.
    /// </summary>
    /// <exception cref="InputException">Unknown name, or autocast missing from this LibTorch.</exception>
    public static PrecisionMode Activate(string name, string key, Device device)
    {
        var mode = Parse(name, key);
        mode.EnsureAvailable(device, key);
        mode.ApplyBackendFlags(device);
        return mode;
    }

    /// <summary>
    /// <paramref name="model"/>'s output for <paramref name="input"/> with the forward under this mode's autocast,
    /// returned as float32 (losses, thresholds and metrics see one dtype in every mode).
    /// </summary>
    public Tensor Logits(nn.Module<Tensor, Tensor> model, Tensor input, Device device)
    {
        Tensor output;
        using (Enter(device)) output = model.forward(input);
        return output.dtype == ScalarType.Float32 ? output : output.to(ScalarType.Float32);
    }

    /// <summary>An autocast scope for this mode on <paramref name="device"/>, or null (nothing to enter) without autocast.</summary>
    public AutocastScope? Enter(Device device) =>
        AutocastDtype is ScalarType dtype ? AutocastScope.Enter(device.type, dtype) : null;
}
