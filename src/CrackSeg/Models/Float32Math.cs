using static TorchSharp.torch;

namespace CrackSeg.Models;

/// <summary>
/// The model's numerically sensitive steps run in at least float32 under autocast: LayerNorm, the attention
/// softmax and the cosine-attention norms (CUDA autocast already keeps layer_norm in float32; CPU autocast would
/// run them in bfloat16). Float32 and float64 tensors pass through untouched, so results outside autocast (golden
/// parity) are unchanged. Matmuls that follow still run in reduced precision: autocast casts their inputs.
/// </summary>
internal static class Float32Math
{
    /// <summary><paramref name="x"/> widened to float32 when it is bfloat16 or float16; otherwise the same tensor.</summary>
    public static Tensor AtLeastFloat32(Tensor x) => IsReduced(x.dtype) ? x.to(ScalarType.Float32) : x;

    /// <summary>Softmax over <paramref name="dim"/>, computed and returned in at least float32.</summary>
    public static Tensor Softmax(Tensor x, long dim) => IsReduced(x.dtype) ? x.softmax(dim, ScalarType.Float32) : x.softmax(dim);

    private static bool IsReduced(ScalarType dtype) => dtype is ScalarType.BFloat16 or ScalarType.Float16;
}
