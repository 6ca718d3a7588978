using CrackSeg.Tests.TestSupport;
using CrackSeg.Config;
using CrackSeg.Models;
using CrackSeg.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Training;

[Collection(nameof(GlobalRandomStateCollection))]
public class GradientBufferTests
{
    private static (nn.Module<Tensor, Tensor> Model, List<Parameter> Parameters) Nano()
    {
        manual_seed(7);
        var model = ModelFactory.Create(new ModelConfig { Preset = "nano" }, 64);
        return (model, model.parameters().ToList());
    }

    private static void Backward(nn.Module<Tensor, Tensor> model, int seed)
    {
        using var scope = NewDisposeScope();
        manual_seed(seed);
        model.eval(); // no dropout: both models must see the same function
        var x = randn(2, 3, 64, 64, generator: new TorchSharp.torch.Generator((ulong)seed));
        model.forward(x).pow(2).mean().backward();
    }

    [Fact]
    public void BackwardAccumulatesIntoTheFlatViewsAndClippingMatchesTheTensorByTensorPath()
    {
        var (reference, referenceParams) = Nano();
        var (flatModel, flatParams) = Nano();
        flatModel.load_state_dict(reference.state_dict()); // identical weights whatever the global RNG did
        using var buffer = GradientBuffer.TryCreate(flatParams)!;
        Assert.NotNull(buffer);

        for (int step = 0; step < 2; step++) // the second pass checks the views survive zeroing
        {
            foreach (var p in referenceParams) p.grad?.zero_();
            buffer.Zero();
            Backward(reference, 100 + step);
            Backward(flatModel, 100 + step);
            using var scope = NewDisposeScope();
            var expected = GradientClipper.ClipByGlobalNorm(referenceParams, 0.01);
            var actual = buffer.ClipByGlobalNorm(0.01);
            Assert.Equal(expected.item<float>(), actual.item<float>(), 3);
            Assert.True(actual.item<float>() > 0.01f, "the test must exercise clipping");
            // Every gradient is still a view of the buffer: the buffer's values are the gradients.
            var fromParams = cat(flatParams.Select(p => p.grad!.flatten()).ToArray());
            Assert.True(fromParams.allclose(buffer.Flat, rtol: 0, atol: 0));
            for (int i = 0; i < referenceParams.Count; i++)
                Assert.True(referenceParams[i].grad!.allclose(flatParams[i].grad!, rtol: 1e-4, atol: 1e-7), $"parameter {i} differs");
        }
    }

    [Fact]
    public void MixedDtypesFallBackToTheTensorByTensorPath()
    {
        using var scope = NewDisposeScope();
        var a = new Parameter(zeros(3));
        var b = new Parameter(zeros(2, dtype: ScalarType.Float64));
        Assert.Null(GradientBuffer.TryCreate([a, b]));
        Assert.Null(GradientBuffer.TryCreate([new Parameter(zeros(2), requires_grad: false)]));
    }

    [Fact]
    public void AttachRepointsGradientsSomethingElseReplaced()
    {
        using var scope = NewDisposeScope();
        var a = new Parameter(zeros(3));
        using var buffer = GradientBuffer.TryCreate([a])!;
        a.grad = ones(3) * 5; // e.g. a zero_grad(set_to_none) elsewhere, then a backward
        buffer.Attach();
        buffer.Flat.fill_(2);
        Assert.Equal([2f, 2f, 2f], a.grad!.data<float>().ToArray());
    }
}
