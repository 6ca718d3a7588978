using CrackSeg.Models;
using CrackSeg.Models.Swin;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CrackSeg.Tests.Models;

[Collection(nameof(AttentionPathCollection))]
public class TrainingBehaviourTests(ITestOutputHelper output)
{
    [Fact]
    public void EveryParameterOfNanoGetsAFiniteNonZeroGradientInOneStep()
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        // Dropout2d and drop path off: they zero whole channels/samples at random, which could leave a
        // BatchNorm channel or a branch without gradient by chance and make this test flaky.
        using var model = ModelFactory.Create(TestModels.Nano(64, dropPath: 0, asppDropout: 0));
        // timm starts every block's residual branch at zero (norm1/norm2 = 0), so attention and MLP weights
        // only receive gradient once those norms move. First check the norms themselves get gradient...
        var grads = OneStepGradients(model, batch: 2, size: 64);
        foreach (var (name, grad) in grads.Where(g => g.Key.Contains(".norm1.") || g.Key.Contains(".norm2.")))
            Assert.True(grad > 0, $"{name}: zero gradient at init");

        // ... then switch the branches on, as after a few optimizer steps, and require gradient everywhere.
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (name.Contains(".norm1.weight") || name.Contains(".norm2.weight")) p.normal_(0, 0.5);
        grads = OneStepGradients(model, batch: 2, size: 64);
        Assert.Equal(model.parameters().Count(), grads.Count);
        foreach (var (name, grad) in grads)
        {
            Assert.False(double.IsNaN(grad) || double.IsInfinity(grad), $"{name}: non-finite gradient");
            Assert.True(grad > 0, $"{name}: zero gradient");
        }
    }

    [Fact]
    public void FusedInferenceAttentionMatchesTheExplicitPath()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var model = ModelFactory.Create(TestModels.Nano(64));
        using (no_grad())
            foreach (var (_, p) in model.named_parameters()) p.add_(randn_like(p) * 0.05);
        model.eval();
        var x = randn(2, 3, 96, 96);   // not the construction size: padding and shift masks in play

        var previous = WindowAttention.Kernel;
        try
        {
            using var _ = no_grad();
            WindowAttention.Kernel = AttentionKernel.Fused;
            var fused = model.ForwardIntermediates(x);
            WindowAttention.Kernel = AttentionKernel.Explicit;
            var explicitPath = model.ForwardIntermediates(x);
            for (int s = 0; s < 4; s++)
                ParityAssert.Close(output, $"stage{s}", explicitPath.EncoderStages[s], fused.EncoderStages[s], 1e-5);
            ParityAssert.Close(output, "logits", explicitPath.Logits, fused.Logits, 1e-5);
        }
        finally
        {
            WindowAttention.Kernel = previous;
        }
    }

    [Fact]
    public void FusedAttentionWithGradientsMatchesTheExplicitPath()
    {
        // What CUDA runs in training: SDPA with the position bias (and shift mask) as an additive term that needs
        // a gradient. Forced here on the CPU (libtorch's math fallback), every parameter's gradient must equal the
        // explicit path's: the bias reaches SDPA through the expand/reshape with its gradient intact.
        using var scope = NewDisposeScope();
        manual_seed(4);
        using var model = ModelFactory.Create(TestModels.Nano(64, dropPath: 0, asppDropout: 0));
        using (no_grad())
            foreach (var (_, p) in model.named_parameters()) p.add_(randn_like(p) * 0.05);
        model.eval();   // BatchNorm with running statistics: both passes see the same function
        var x = randn(2, 3, 96, 96);   // padding and shift masks in play
        var target = (rand(2, 1, 96, 96) > 0.8).to(ScalarType.Float32);

        var previous = WindowAttention.Kernel;
        try
        {
            WindowAttention.Kernel = AttentionKernel.Fused;
            var fused = Gradients(model, x, target);
            WindowAttention.Kernel = AttentionKernel.Explicit;
            var explicitPath = Gradients(model, x, target);
            Assert.Equal(explicitPath.Keys, fused.Keys);
            foreach (var name in explicitPath.Keys.Where(n => n.Contains(".attn.")))
                ParityAssert.Close(output, name, explicitPath[name], fused[name], 1e-4);
            ParityAssert.Close(output, "all gradients", cat(explicitPath.Values.Select(g => g.flatten()).ToArray()),
                cat(fused.Values.Select(g => g.flatten()).ToArray()), 1e-4);
        }
        finally
        {
            WindowAttention.Kernel = previous;
        }
    }

    [Theory]
    [InlineData(DeviceType.CUDA, true, true)]    // memory-efficient SDPA computes the bias gradient
    [InlineData(DeviceType.CUDA, false, true)]
    [InlineData(DeviceType.CPU, true, false)]    // CPU SDPA is slower with a bias that needs a gradient
    [InlineData(DeviceType.CPU, false, true)]
    public void AttentionKernelIsChosenByDeviceAndAutograd(DeviceType device, bool recordsGradient, bool fused)
    {
        Assert.Equal(fused, WindowAttention.UsesFusedKernel(device, recordsGradient, AttentionKernel.Auto));
        Assert.True(WindowAttention.UsesFusedKernel(device, recordsGradient, AttentionKernel.Fused));
        Assert.False(WindowAttention.UsesFusedKernel(device, recordsGradient, AttentionKernel.Explicit));
    }

    [Fact]
    public void TrainAndEvalSwitchDropoutDropPathAndBatchNorm()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var model = ModelFactory.Create(TestModels.Nano(64, dropPath: 0.5, asppDropout: 0.5));
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (name.Contains(".norm1.weight") || name.Contains(".norm2.weight")) p.fill_(1.0);
        var x = randn(2, 3, 64, 64);
        var bn = model.named_modules().Select(m => m.module).OfType<BatchNorm2d>().First();

        model.eval();
        var meanBefore = bn.running_mean!.clone();
        using (no_grad())
        {
            var a = model.call(x);
            var b = model.call(x);
            Assert.True(a.Equals(b), "eval forward must be deterministic");
        }
        Assert.True(meanBefore.Equals(bn.running_mean!), "eval must not update BatchNorm statistics");

        model.train();
        using (no_grad())
        {
            var a = model.call(x);
            var b = model.call(x);
            Assert.False(a.Equals(b), "training forward must apply dropout / drop path");
        }
        Assert.False(meanBefore.Equals(bn.running_mean!), "training must update BatchNorm statistics");
        Assert.Equal(2L, bn.num_batches_tracked!.item<long>());

        // Drop path itself: identity in eval, per-sample zero-or-scaled in training.
        var ones3 = ones(8, 4, 4, 3);
        Assert.Same(ones3, DropPath.Apply(ones3, 0.5, training: false));
        var dropped = DropPath.Apply(ones3, 0.5, training: true);
        foreach (var sample in dropped.split(1))
        {
            var v = sample.unique().output.data<float>().ToArray();
            Assert.True(v.SequenceEqual([0f]) || v.SequenceEqual([2f]), $"sample values {string.Join(",", v)}");
        }
    }

    [Theory]
    [InlineData(64)]
    [InlineData(32)]   // 1x1 bottleneck: every ASPP BatchNorm sees one value per channel
    public void BatchSizeOneTrains(int size)
    {
        using var scope = NewDisposeScope();
        manual_seed(9);
        using var model = ModelFactory.Create(TestModels.Nano(size));
        model.train();
        var optimizer = optim.AdamW(model.parameters(), lr: 1e-3);
        for (int step = 0; step < 2; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            var logits = model.call(randn(1, 3, size, size));
            Assert.Equal(new long[] { 1, 1, size, size }, logits.shape);
            var loss = F.binary_cross_entropy_with_logits(logits, (rand(1, 1, size, size) > 0.9).to(ScalarType.Float32));
            loss.backward();
            optimizer.step();
            Assert.True(double.IsFinite(loss.item<float>()));
        }
    }

    private static Dictionary<string, Tensor> Gradients(SwinV2CnnAsppUNet model, Tensor x, Tensor target)
    {
        model.zero_grad();
        F.binary_cross_entropy_with_logits(model.call(x), target).backward();
        return model.named_parameters().Where(p => p.parameter.grad is not null)
            .ToDictionary(p => p.name, p => p.parameter.grad!.clone());
    }

    private static Dictionary<string, double> OneStepGradients(SwinV2CnnAsppUNet model, int batch, int size)
    {
        using var scope = NewDisposeScope();
        model.train();
        model.zero_grad();
        var logits = model.call(randn(batch, 3, size, size));
        var target = (rand(batch, 1, size, size) > 0.8).to(ScalarType.Float32);
        F.binary_cross_entropy_with_logits(logits, target).backward();
        var result = new Dictionary<string, double>();
        foreach (var (name, p) in model.named_parameters())
        {
            var g = p.grad;
            result[name] = g is null ? 0 : g.abs().sum().item<float>();
        }
        return result;
    }
}
