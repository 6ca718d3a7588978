using CrackSeg.Models;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CrackSeg.Tests.Models;

public class DeadTapConvolutionTests
{
    [Theory]
    [InlineData(8, 8, 18)]   // ASPP at 256²: only the centre tap is live
    [InlineData(8, 8, 12)]
    [InlineData(8, 8, 6)]    // every tap reaches the map: the plain conv runs
    [InlineData(8, 24, 12)]  // rows dead, columns live: a 1x3 kernel
    [InlineData(1, 1, 6)]    // a 1x1 map
    [InlineData(13, 6, 6)]   // rows live (13 > 6), columns dead (6 ≤ 6): a 3x1 kernel
    public void EqualsThePlainConvolutionInOutputAndGradients(int height, int width, int dilation)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(11);
        using var conv = Conv2d(5, 4, kernel_size: 3, padding: dilation, dilation: dilation, bias: true);
        using (no_grad())
        {
            conv.weight!.normal_(0, 0.5, generator);
            conv.bias!.normal_(0, 0.5, generator);
        }
        var input = randn([2, 5, height, width], generator: generator);

        var x1 = input.clone().requires_grad_(true);
        var plain = conv.call(x1);
        var upstream = randn(plain.shape, generator: generator);
        autograd.backward(plain, upstream);
        var plainWeightGrad = conv.weight!.grad!.clone();
        var plainBiasGrad = conv.bias!.grad!.clone();
        conv.zero_grad();

        var x2 = input.clone().requires_grad_(true);
        var trimmed = DeadTapConvolution.Apply(conv, x2, kernel: 3, dilation);
        autograd.backward(trimmed, upstream);

        Assert.Equal(plain.shape, trimmed.shape);
        Assert.True(trimmed.allclose(plain, rtol: 1e-5, atol: 1e-5), "output");
        Assert.True(x2.grad!.allclose(x1.grad!, rtol: 1e-5, atol: 1e-5), "input gradient");
        Assert.True(conv.weight!.grad!.allclose(plainWeightGrad, rtol: 1e-5, atol: 1e-5), "weight gradient");
        Assert.True(conv.bias!.grad!.allclose(plainBiasGrad, rtol: 1e-5, atol: 1e-5), "bias gradient");
        // Dead taps get exactly zero gradient from both (they only ever read padding).
        int rows = DeadTapConvolution.LiveRadius(1, dilation, height), cols = DeadTapConvolution.LiveRadius(1, dilation, width);
        if (rows == 0) Assert.Equal(0f, plainWeightGrad.select(2, 0).abs().max().item<float>());
        if (cols == 0) Assert.Equal(0f, plainWeightGrad.select(3, 2).abs().max().item<float>());
    }

    [Theory]
    [InlineData(1, 6, 8, 1)]
    [InlineData(1, 8, 8, 0)]
    [InlineData(1, 6, 7, 1)]
    [InlineData(1, 12, 8, 0)]
    [InlineData(1, 12, 13, 1)]
    [InlineData(3, 2, 5, 2)]   // a 7x7 kernel, dilation 2 on 5 pixels: offsets ±2 and ±4 reach, ±6 do not
    [InlineData(1, 1, 1, 0)]
    public void LiveRadiusCountsTapsThatReachInsideTheMap(int centre, int dilation, long size, int expected) =>
        Assert.Equal(expected, DeadTapConvolution.LiveRadius(centre, dilation, size));
}
