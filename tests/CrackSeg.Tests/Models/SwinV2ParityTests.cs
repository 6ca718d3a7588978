using CrackSeg.Common;
using CrackSeg.Models;
using CrackSeg.Models.Swin;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CrackSeg.Tests.Models;

/// <summary>
/// The encoder against timm's SwinTransformerV2 (golden <c>swinv2_small.*</c>): stage outputs and the
/// final norm for x (64², the construction size), x2 (96²) and x3 (80²) — the last two exercise the
/// run-time padding and shift mask with windows fixed at 64 px.
/// </summary>
[Collection(nameof(AttentionPathCollection))]
public class SwinV2ParityTests(ITestOutputHelper output)
{
    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void EncoderMatchesTimmForAllThreeInputs(bool fused)
    {
        string dir = GoldenFixtures.Require();
        using var scope = NewDisposeScope();
        using var encoder = LoadGoldenEncoder(dir, out var finalNorm);
        var inputs = GoldenFixtures.LoadTensors(dir, "swinv2_small.input.pth");
        var expected = GoldenFixtures.LoadTensors(dir, "swinv2_small.outputs.pth");

        var previous = WindowAttention.Kernel;
        WindowAttention.Kernel = fused ? AttentionKernel.Fused : AttentionKernel.Explicit;
        try
        {
            foreach (var (input, prefix) in new[] { ("x", ""), ("x2", "x2_"), ("x3", "x3_") })
                CompareStages(encoder, finalNorm, inputs[input], expected, prefix);
        }
        finally
        {
            WindowAttention.Kernel = previous;
        }
    }

    [SkippableFact]
    public void Float64EncoderStaysWithinTheFloat32References()
    {
        // Exercises .to(float64): parameters convert, and the on-demand tables/masks follow the input dtype.
        string dir = GoldenFixtures.Require();
        using var scope = NewDisposeScope();
        using var encoder = LoadGoldenEncoder(dir, out var finalNorm);
        encoder.to(ScalarType.Float64);
        var inputs = GoldenFixtures.LoadTensors(dir, "swinv2_small.input.pth");
        var expected = GoldenFixtures.LoadTensors(dir, "swinv2_small.outputs.pth");
        CompareStages(encoder, (finalNorm.Weight.to(ScalarType.Float64), finalNorm.Bias.to(ScalarType.Float64)),
            inputs["x2"].to(ScalarType.Float64), expected, "x2_");
    }

    internal static SwinV2Encoder LoadGoldenEncoder(string dir, out (Tensor Weight, Tensor Bias) finalNorm)
    {
        var state = GoldenFixtures.LoadTensors(dir, "swinv2_small.state_dict.pth");
        finalNorm = (state["norm.weight"], state["norm.bias"]);
        var encoder = new SwinV2Encoder(TestModels.GoldenSwinSmall());
        StateDictLoader.Load(encoder, PretrainedEncoderLoader.ToEncoderKeys(state, prefix: ""), "swinv2_small.state_dict.pth");
        encoder.eval();
        return encoder;
    }

    private void CompareStages(SwinV2Encoder encoder, (Tensor Weight, Tensor Bias) finalNorm, Tensor x,
        Dictionary<string, Tensor> expected, string prefix)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var stages = encoder.ForwardNhwc(x);
        for (int s = 0; s < stages.Length; s++)
            ParityAssert.Close(output, $"{prefix}stage{s}", expected[$"{prefix}stage{s}"], stages[s].permute(0, 3, 1, 2));
        var final = F.layer_norm(stages[^1], [stages[^1].shape[3]], finalNorm.Weight, finalNorm.Bias, eps: 1e-5);
        ParityAssert.Close(output, $"{prefix}final", expected[$"{prefix}final"], final.permute(0, 3, 1, 2));
    }
}

/// <summary>Tests that force <see cref="WindowAttention.Kernel"/> must not run in parallel.</summary>
[CollectionDefinition(nameof(AttentionPathCollection), DisableParallelization = true)]
public class AttentionPathCollection;
