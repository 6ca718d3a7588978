using TorchSharp;
using TorchSharp.Utils;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace CrackSeg.Models;

/// <summary>
/// ASPP on the stride-32 map (crackseg <c>ASPPModule</c> keys): dilated 3x3 branches, a 1x1 branch and
/// image pooling, concatenated as branches 0..n-1, conv_1x1, pooled → 1x1 projection → Dropout2d.
/// </summary>
public sealed class AsppBottleneck : Module<Tensor, Tensor>
{
    // Field order = the Python module's state_dict order: conv_1x1, branches, global_pool, project.
    private readonly ConvBnRelu conv_1x1;
    private readonly ModuleList<ConvBnRelu> branches;
    private readonly ImagePooling global_pool;
    private readonly ConvBnRelu project;
    private readonly double _dropout;

    public AsppBottleneck(int inChannels, int outChannels, IReadOnlyList<int> dilations, double dropout)
        : base(nameof(AsppBottleneck))
    {
        conv_1x1 = new ConvBnRelu(inChannels, outChannels, kernel: 1);
        branches = new ModuleList<ConvBnRelu>();
        foreach (var d in dilations) branches.Add(new ConvBnRelu(inChannels, outChannels, kernel: 3, dilation: d));
        global_pool = new ImagePooling(inChannels, outChannels);
        project = new ConvBnRelu((dilations.Count + 2) * outChannels, outChannels, kernel: 1);
        _dropout = dropout;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>(branches.Count + 2);
        foreach (var branch in branches) parts.Add(branch.call(x));
        parts.Add(conv_1x1.call(x));
        parts.Add(global_pool.call(x));
        var projected = project.call(cat(parts, dim: 1));
        return F.dropout2d(projected, _dropout, training).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// AdaptiveAvgPool(1) → 1x1 conv → BN → ReLU, broadcast back to the input size (keys <c>1</c>, <c>2</c>
    /// as in the Python <c>Sequential</c> whose entry 0 is the pooling). Bilinear resizing of a 1x1 map
    /// is a broadcast, so expand is exact.
    /// </summary>
    private sealed class ImagePooling : Module<Tensor, Tensor>
    {
        [ComponentName(Name = "1")] private readonly Conv2d conv;
        [ComponentName(Name = "2")] private readonly BatchNorm2d bn;

        public ImagePooling(int inChannels, int outChannels) : base(nameof(ImagePooling))
        {
            conv = Conv2d(inChannels, outChannels, kernel_size: 1, bias: false);
            bn = BatchNorm2d(outChannels);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var pooled = x.mean([2, 3], keepdim: true);
            var activated = F.relu(BatchNormSafe.Apply(bn, conv.call(pooled), training));
            return activated.expand(-1, -1, x.shape[2], x.shape[3]).MoveToOuterDisposeScope();
        }
    }
}
