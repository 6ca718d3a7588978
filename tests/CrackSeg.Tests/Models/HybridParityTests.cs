using CrackSeg.Common;
using CrackSeg.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Models;

/// <summary>
/// The whole hybrid against the Python crackseg model (golden <c>hybrid_small.*</c>): encoder outputs,
/// ASPP (also on a 20x20 probe where the dilated taps see real pixels), decoder blocks and logits.
/// </summary>
public class HybridParityTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void HybridMatchesThePythonModelAtEveryStage()
    {
        string dir = GoldenFixtures.Require();
        using var scope = NewDisposeScope();
        using var model = new SwinV2CnnAsppUNet(TestModels.GoldenSwinSmall());
        StateDictLoader.Load(model, GoldenFixtures.LoadTensors(dir, "hybrid_small.state_dict.pth"), "hybrid_small.state_dict.pth");
        model.eval();
        var inputs = GoldenFixtures.LoadTensors(dir, "hybrid_small.input.pth");
        var expected = GoldenFixtures.LoadTensors(dir, "hybrid_small.outputs.pth");

        using var _ = no_grad();
        var result = model.ForwardIntermediates(inputs["x"]);
        ParityAssert.Close(output, "enc_bottleneck", expected["enc_bottleneck"], result.EncoderStages[3]);
        for (int i = 0; i < 3; i++)
            ParityAssert.Close(output, $"enc_skip{i}", expected[$"enc_skip{i}"], result.EncoderStages[i]);
        ParityAssert.Close(output, "aspp", expected["aspp"], result.Aspp);
        for (int i = 0; i < 3; i++)
            ParityAssert.Close(output, $"dec_block{i}", expected[$"dec_block{i}"], result.DecoderBlocks[i]);
        ParityAssert.Close(output, "logits", expected["logits"], result.Logits);
        ParityAssert.Close(output, "output", expected["output"], result.Logits.sigmoid());
        Assert.Equal(result.Logits.shape, model.call(inputs["x"]).shape);

        ParityAssert.Close(output, "aspp_probe", expected["aspp_probe"], model.Bottleneck.call(inputs["aspp_in"]));
    }
}
