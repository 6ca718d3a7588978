using CrackSeg.Common;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace CrackSeg.Models.Swin;

/// <summary>
/// SwinV2 window attention (timm <c>WindowAttention</c>): scaled cosine attention with a learned
/// per-head temperature and a continuous relative position bias from a small MLP over log-spaced
/// coordinates. Parameter names and shapes are timm's; the constant tables live in
/// <see cref="WindowGeometry"/>, never in the state_dict.
/// </summary>
internal sealed class WindowAttention : Module<Tensor, Tensor>
{
    /// <summary>ln(1/0.01): timm's upper clamp on <c>logit_scale</c>.</summary>
    private static readonly Scalar MaxLogitScale = Math.Log(100.0);

    /// <summary>timm's initial <c>logit_scale</c>: ln 10.</summary>
    private static readonly Scalar InitialLogitScale = Math.Log(10.0);

    /// <summary>F.normalize's eps: the smallest query norm the scale is divided by.</summary>
    private static readonly Scalar NormEpsilon = 1e-12;

    /// <summary>timm's bound on the continuous position bias: 16·sigmoid.</summary>
    private static readonly Scalar BiasBound = 16.0;

    /// <summary>
    /// Which kernel computes attention: <see cref="AttentionKernel.Auto"/> decides per call
    /// (<see cref="UsesFusedKernel"/>); tests force one path. Both give the same values (golden parity runs
    /// both; tests compare them, with gradients, at a padded, shifted input size).
    /// </summary>
    internal static AttentionKernel Kernel = AttentionKernel.Auto;

    /// <summary>
    /// Whether scaled_dot_product_attention (fused) rather than the explicit matmul-softmax-matmul computes a
    /// call on <paramref name="device"/>. On CUDA always: the memory-efficient SDPA kernel takes the additive
    /// bias and computes its gradient, and keeps no softmax matrix for backward (it recomputes it). Elsewhere only
    /// without autograd: libtorch's CPU SDPA falls back to a slower path when the additive bias needs a gradient
    /// (measured 29 ms vs 20 ms per stage-0 block, forward + backward).
    /// </summary>
    internal static bool UsesFusedKernel(DeviceType device, bool recordsGradient, AttentionKernel kernel) => kernel switch
    {
        AttentionKernel.Fused => true,
        AttentionKernel.Explicit => false,
        _ => device == DeviceType.CUDA || !recordsGradient,
    };

    // Field order = timm's state_dict order: own parameters first, then cpb_mlp, qkv, proj.
    private Parameter logit_scale;
    private Parameter q_bias;
    private Parameter v_bias;
    private readonly Sequential cpb_mlp;
    private readonly Linear qkv;
    private readonly Linear proj;

    private readonly int _dim;
    private readonly int _heads;
    private readonly int _window;
    private readonly WindowGeometry _geometry;

    public WindowAttention(int dim, int heads, int window, WindowGeometry geometry) : base(nameof(WindowAttention))
    {
        _dim = dim;
        _heads = heads;
        _window = window;
        _geometry = geometry;
        logit_scale = Parameter(full(heads, 1, 1, InitialLogitScale));
        q_bias = Parameter(zeros(dim));
        v_bias = Parameter(zeros(dim));
        cpb_mlp = Sequential(Linear(2, 512, hasBias: true), ReLU(), Linear(512, heads, hasBias: false));
        qkv = Linear(dim, dim * 3, hasBias: false);
        proj = Linear(dim, dim);
        RegisterComponents();
    }

    public int Window => _window;

    /// <summary>timm's reset: logit_scale = ln 10, q and v biases 0.</summary>
    internal void ResetScalars()
    {
        using var _ = no_grad();
        logit_scale.fill_(InitialLogitScale);
        q_bias.zero_();
        v_bias.zero_();
    }

    /// <summary>Attention over a batch of windows <c>(B·nW, w², C)</c>; no mask (unshifted block).</summary>
    public override Tensor forward(Tensor windows) => forward(windows, null);

    /// <summary>
    /// Attention over <c>(B·nW, w², C)</c> windows, ordered image-major (window index fastest), with an
    /// optional additive <c>(nW, w², w²)</c> shift mask.
    /// </summary>
    public Tensor forward(Tensor windows, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        long batchWindows = windows.shape[0], tokens = windows.shape[1];
        int headDim = _dim / _heads;

        // qkv bias = cat(q_bias, 0, v_bias): the key bias is a constant zero (timm's non-persistent k_bias).
        var bias = cat([q_bias, zeros_like(q_bias), v_bias]);
        var qkvOut = F.linear(windows, qkv.weight!, bias)
            .view(batchWindows, tokens, 3, _heads, headDim)
            .permute(2, 0, 3, 1, 4);
        var k = F.normalize(Float32Math.AtLeastFloat32(qkvOut[1]), dim: -1);
        var v = qkvOut[2];
        var scale = clamp(logit_scale, max: MaxLogitScale).exp();                   // heads, 1, 1
        // normalize(q)·scale in one pass over q: q·(scale / max(‖q‖, eps)), F.normalize's eps.
        var query = Float32Math.AtLeastFloat32(qkvOut[0]);
        var queryNorm = query.norm(-1, keepdim: true).clamp_min(NormEpsilon);

        var positionBias = RelativePositionBias(windows.device, windows.dtype);    // heads, N, N
        // Per-window additive term: the bias alone, or bias + shift mask (nW, heads, N, N).
        var additive = mask is null ? positionBias.unsqueeze(0) : positionBias.unsqueeze(0).Plus(mask.unsqueeze(1));
        long maskWindows = additive.shape[0];
        Tensor attended;
        bool recordsGradient = is_grad_enabled() && (windows.requires_grad || q_bias.requires_grad);
        if (UsesFusedKernel(windows.device_type, recordsGradient, Kernel))
        {
            // The fused kernel is fast only with a 4-D mask: expand the per-window term over the batch
            // (a 5-D broadcast was 3x slower). It divides by sqrt(d), which q carries back: cosine
            // attention has no 1/sqrt(d).
            if (maskWindows > 1)
                additive = additive.unsqueeze(0).expand(batchWindows / maskWindows, -1, -1, -1, -1).reshape(batchWindows, _heads, tokens, tokens);
            attended = F.scaled_dot_product_attention(query * (scale.Times(Math.Sqrt(headDim)) / queryNorm), k, v, attn_mask: additive);
        }
        else
        {
            // Windows are ordered image-major, so (B, nW) views broadcast the per-window term over the batch.
            var images = batchWindows / maskWindows;
            var logits = (query * (scale / queryNorm)).view(images, maskWindows, _heads, tokens, headDim)
                .matmul(k.view(images, maskWindows, _heads, tokens, headDim).transpose(-2, -1)).Plus(additive);
            attended = Float32Math.Softmax(logits, -1).matmul(v.view(images, maskWindows, _heads, tokens, headDim))
                .view(batchWindows, _heads, tokens, headDim);
        }

        var merged = attended.transpose(1, 2).reshape(batchWindows, tokens, _dim);
        return proj.call(merged).MoveToOuterDisposeScope();
    }

    /// <summary>(heads, w², w²) bias 16·sigmoid(cpb_mlp(table)) gathered by the relative index.</summary>
    public Tensor RelativePositionBias(Device device, ScalarType dtype)
    {
        var table = _geometry.CoordsTable(_window, device, dtype);
        var index = _geometry.RelativeIndex(_window, device);
        // sigmoid and the factor 16 are element-wise, so applying them before the gather is exact and cheaper.
        var biasTable = cpb_mlp.call(table).sigmoid().mul(BiasBound);              // (2w-1)², heads
        int n = _window * _window;
        return biasTable.index_select(0, index).view(n, n, _heads).permute(2, 0, 1);
    }
}

/// <summary>The attention kernel <see cref="WindowAttention"/> uses: chosen per call, or forced (tests).</summary>
internal enum AttentionKernel { Auto, Fused, Explicit }
