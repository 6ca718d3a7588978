using CrackSeg.Common;
using static TorchSharp.torch;

namespace CrackSeg.Export;

/// <summary>
/// The model's state_dict as host float32 tensors, and the export-time folds over it: Linear weights
/// transposed for MatMul, BatchNorm (eval statistics) folded into the preceding convolution. Every tensor it
/// hands out lives in the caller's dispose scope.
/// </summary>
internal sealed class ExportWeights
{
    /// <summary>BatchNorm2d's epsilon in every module of the model (TorchSharp's default, as PyTorch's).</summary>
    public const double BatchNormEps = 1e-5;

    private readonly IReadOnlyDictionary<string, Tensor> _state;

    public ExportWeights(IReadOnlyDictionary<string, Tensor> state) => _state = state;

    /// <summary>A host float32 copy of <paramref name="key"/>.</summary>
    public Tensor Get(string key) =>
        _state.TryGetValue(key, out var t)
            ? t.detach().to(ScalarType.Float32).cpu().contiguous()
            : throw new KeyNotFoundException($"the model has no parameter or buffer '{key}'");

    public bool Has(string key) => _state.ContainsKey(key);

    /// <summary>The values and shape of a host tensor, ready for an initializer.</summary>
    public static (float[] Values, long[] Dims) Data(Tensor t)
    {
        var host = t.detach().to(ScalarType.Float32).cpu().contiguous();
        return (host.data<float>().ToArray(), host.shape);
    }

    /// <summary>An initializer from a host tensor.</summary>
    public static string Constant(OnnxGraph g, string name, Tensor t)
    {
        var (values, dims) = Data(t);
        return g.Constant(name, values, dims);
    }

    /// <summary>The tensor <paramref name="key"/> as an initializer named after it.</summary>
    public string Named(OnnxGraph g, string key) => Constant(g, key, Get(key));

    /// <summary>A Linear weight (out, in) as a MatMul right operand (in, out), named <paramref name="key"/> + ".T".</summary>
    public string LinearRight(OnnxGraph g, string key) => Constant(g, key + ".T", Get(key).t());

    /// <summary>
    /// Conv weight and bias with the BatchNorm at <paramref name="bnPrefix"/> folded in (eval mode):
    /// w·γ/√(σ²+ε) and (b − μ)·γ/√(σ²+ε) + β, computed in float64 and rounded once.
    /// </summary>
    public (Tensor Weight, Tensor Bias) FoldBatchNorm(string convPrefix, string bnPrefix)
    {
        var weight = Get(convPrefix + "weight").to(ScalarType.Float64);
        var bias = Has(convPrefix + "bias") ? Get(convPrefix + "bias").to(ScalarType.Float64) : zeros(weight.shape[0], dtype: ScalarType.Float64);
        var gamma = Get(bnPrefix + "weight").to(ScalarType.Float64);
        var beta = Get(bnPrefix + "bias").to(ScalarType.Float64);
        var mean = Get(bnPrefix + "running_mean").to(ScalarType.Float64);
        var variance = Get(bnPrefix + "running_var").to(ScalarType.Float64);
        var factor = gamma / variance.Plus(BatchNormEps).sqrt();
        var folded = weight * factor.view(-1, 1, 1, 1);
        var foldedBias = ((bias - mean) * factor).Plus(beta);
        return (folded.to(ScalarType.Float32), foldedBias.to(ScalarType.Float32));
    }
}
