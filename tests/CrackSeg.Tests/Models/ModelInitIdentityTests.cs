using CrackSeg.Models;
using CrackSeg.Tests.TestSupport;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Models;

/// <summary>
/// A freshly created model is bit-identical to one initialised by the original recipe, written here from module
/// types and parameter names only: construct (PyTorch defaults from the global RNG), then every encoder Linear
/// trunc-normal(0.02, ±2) in <c>named_modules</c> order with zero bias, then logit_scale ln 10, q/v biases 0 and
/// every block's norm1/norm2 0. Same RNG draws in the same order, so equal bits.
/// </summary>
[Collection(nameof(GlobalRandomStateCollection))]
public class ModelInitIdentityTests
{
    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void AFreshModelEqualsTheOriginalRecipeBitForBit(bool withStem, bool explicitGenerator)
    {
        var spec = TestModels.Nano(64) with { StemChannels = withStem ? [4, 8] : [], DecoderChannels = withStem ? [32, 16, 8, 8, 4] : [32, 16, 8] };
        manual_seed(11);
        using var created = ModelFactory.Create(spec, explicitGenerator ? new Generator(7) : null);
        manual_seed(11);
        using var reference = new SwinV2CnnAsppUNet(spec);
        InitAsOriginally(reference.Encoder, explicitGenerator ? new Generator(7) : null);

        var expected = reference.state_dict();
        var actual = created.state_dict();
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (key, value) in expected)
            Assert.True(value.Equals(actual[key]), $"{key} differs from the original initialisation");
    }

    [Fact]
    public void AnOutputPriorSetsOnlyTheOutputBiasToItsLogit()
    {
        var spec = TestModels.Nano(64);
        manual_seed(3);
        using var plain = ModelFactory.Create(spec);
        manual_seed(3);
        using var primed = ModelFactory.Create(spec with { OutputPrior = 0.05 });

        var expected = plain.state_dict();
        foreach (var (key, value) in primed.state_dict())
        {
            if (key != "decoder.final_conv.bias")
                Assert.True(value.Equals(expected[key]), $"{key} changed with the output prior");
            else
                Assert.Equal(Math.Log(0.05 / 0.95), value.item<float>(), 5);
        }
        // PyTorch's default bias is U(-1/sqrt(fan_in), 1/sqrt(fan_in)): near p = 0.5, far from logit(0.05) ≈ -2.94.
        Assert.True(Math.Abs(expected["decoder.final_conv.bias"].item<float>()) < 1);
    }

    private static void InitAsOriginally(nn.Module encoder, Generator? generator)
    {
        using var _ = no_grad();
        foreach (var (_, module) in encoder.named_modules())
        {
            if (module is not Linear linear) continue;
            TruncatedNormal.Fill(linear.weight!, mean: 0, std: 0.02, a: -2, b: 2, generator);
            if (linear.bias is not null) nn.init.zeros_(linear.bias);
        }
        foreach (var (name, p) in encoder.named_parameters())
        {
            if (name.EndsWith(".logit_scale")) p.fill_(Math.Log(10.0));
            else if (name.EndsWith(".q_bias") || name.EndsWith(".v_bias") || name.Contains(".norm1.") || name.Contains(".norm2.")) p.zero_();
        }
    }
}
