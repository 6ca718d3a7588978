using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace CrackSeg.Models.Swin;

/// <summary>timm <c>Mlp</c>: fc1 (C→hidden), exact GELU, fc2 (hidden→C).</summary>
internal sealed class SwinMlp : Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly Linear fc2;

    public SwinMlp(int dim, int hidden) : base(nameof(SwinMlp))
    {
        fc1 = Linear(dim, hidden);
        fc2 = Linear(hidden, dim);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var hidden = fc1.call(x);
        using var activated = F.gelu(hidden);
        return fc2.call(activated);
    }
}
