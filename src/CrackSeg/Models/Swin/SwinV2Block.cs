using CrackSeg.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace CrackSeg.Models.Swin;

/// <summary>
/// SwinV2 block with residual post-norm: <c>x + norm1(attn(x))</c>, then <c>x + norm2(mlp(x))</c>,
/// drop path on both branches. Window and shift are fixed at construction; inputs of any size are
/// rolled, zero-padded to whole windows and masked at run time (timm's dynamic mask).
/// </summary>
internal sealed class SwinV2Block : Module<Tensor, Tensor>
{
    private readonly WindowAttention attn;
    private readonly LayerNorm norm1;
    private readonly SwinMlp mlp;
    private readonly LayerNorm norm2;

    private readonly int _window;
    private readonly int _shift;
    private readonly double _dropPath;
    private readonly WindowGeometry _geometry;

    public SwinV2Block(int dim, int heads, int window, int shift, double mlpRatio, double dropPath, WindowGeometry geometry)
        : base(nameof(SwinV2Block))
    {
        _window = window;
        _shift = shift;
        _dropPath = dropPath;
        _geometry = geometry;
        attn = new WindowAttention(dim, heads, window, geometry);
        norm1 = LayerNorm(dim, eps: 1e-5);
        mlp = new SwinMlp(dim, (int)(dim * mlpRatio));
        norm2 = LayerNorm(dim, eps: 1e-5);
        RegisterComponents();
    }

    public int Window => _window;
    public int Shift => _shift;
    internal WindowAttention Attention => attn;

    /// <summary>
    /// timm's <c>_init_respostnorm</c>: norm1/norm2 weight and bias 0, so each residual branch starts switched off;
    /// the attention's logit_scale ln 10 and q/v biases 0. Draws nothing from any RNG.
    /// </summary>
    internal void InitResPostNorm()
    {
        using var _ = no_grad();
        attn.ResetScalars();
        foreach (var norm in new[] { norm1, norm2 })
        {
            init.zeros_(norm.weight!);
            init.zeros_(norm.bias!);
        }
    }

    /// <summary><paramref name="x"/>: NHWC. Returns NHWC of the same shape.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var attended = norm1.call(Float32Math.AtLeastFloat32(WindowedAttention(x)));
        x = x.Plus(DropPath.Apply(attended, _dropPath, training));
        var transformed = norm2.call(Float32Math.AtLeastFloat32(mlp.call(x)));
        x = x.Plus(DropPath.Apply(transformed, _dropPath, training));
        return x.MoveToOuterDisposeScope();
    }

    private Tensor WindowedAttention(Tensor x)
    {
        long batch = x.shape[0], height = x.shape[1], width = x.shape[2], channels = x.shape[3];
        int w = _window;
        var shifted = _shift > 0 ? roll(x, [-_shift, -_shift], [1, 2]) : x;

        long padH = (w - height % w) % w, padW = (w - width % w) % w;
        if (padH > 0 || padW > 0) shifted = F.pad(shifted, [0, 0, 0, padW, 0, padH]);
        long paddedH = height + padH, paddedW = width + padW;
        long rows = paddedH / w, cols = paddedW / w;

        var windows = shifted.view(batch, rows, w, cols, w, channels)
            .permute(0, 1, 3, 2, 4, 5)
            .reshape(batch * rows * cols, w * w, channels);

        // Unshifted blocks use no mask even when padded: padded zero tokens take part, as in timm.
        var mask = _shift > 0
            ? _geometry.ShiftMask(w, _shift, (int)paddedH, (int)paddedW, x.device, x.dtype)
            : null;
        var attended = attn.forward(windows, mask);

        var merged = attended.view(batch, rows, cols, w, w, channels)
            .permute(0, 1, 3, 2, 4, 5)
            .reshape(batch, paddedH, paddedW, channels);
        if (padH > 0 || padW > 0) merged = merged[.., ..(int)height, ..(int)width, ..];
        return _shift > 0 ? roll(merged, [_shift, _shift], [1, 2]) : merged;
    }
}
