using TorchSharp;
using TorchSharp.Utils;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace CrackSeg.Models;

/// <summary>
/// Conv2d (no bias) → BatchNorm2d → ReLU with PyTorch <c>Sequential</c> keys <c>0</c> (conv) and
/// <c>1</c> (BatchNorm), as the Python project's ASPP and our stem name them.
/// </summary>
internal sealed class ConvBnRelu : Module<Tensor, Tensor>
{
    [ComponentName(Name = "0")] private readonly Conv2d conv;
    [ComponentName(Name = "1")] private readonly BatchNorm2d bn;
    private readonly int _kernel;
    private readonly int _stride;
    private readonly int _dilation;

    public ConvBnRelu(int inChannels, int outChannels, int kernel, int stride = 1, int dilation = 1)
        : base(nameof(ConvBnRelu))
    {
        conv = Conv2d(inChannels, outChannels, kernel_size: kernel, stride: stride,
            padding: dilation * (kernel - 1) / 2, dilation: dilation, bias: false);
        bn = BatchNorm2d(outChannels);
        (_kernel, _stride, _dilation) = (kernel, stride, dilation);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var convolved = _stride == 1 && _dilation > 1 ? DeadTapConvolution.Apply(conv, x, _kernel, _dilation) : conv.call(x);
        using var normalised = BatchNormSafe.Apply(bn, convolved, training);
        return F.relu(normalised);
    }
}

/// <summary>
/// BatchNorm that tolerates one value per channel in training (batch size 1 on a 1x1 map, e.g. the
/// ASPP image-pooling branch): there batch statistics do not exist, so the running statistics are
/// used and left unchanged, as in eval mode.
/// </summary>
internal static class BatchNormSafe
{
    public static Tensor Apply(BatchNorm2d bn, Tensor x, bool training)
    {
        bool singleValue = x.shape[0] * x.shape[2] * x.shape[3] == 1;
        if (!training || !singleValue) return bn.call(x);
        return F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias, training: false, eps: bn.eps);
    }
}
