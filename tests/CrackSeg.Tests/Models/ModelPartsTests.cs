using CrackSeg.Common;
using CrackSeg.Models;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Models;

public class ModelPartsTests(ITestOutputHelper output)
{
    [Fact]
    public void InitialisationFollowsTimm()
    {
        using var model = ModelFactory.Create(TestModels.Nano(64), new Generator(7));
        foreach (var (name, p) in model.named_parameters())
        {
            if (name.EndsWith(".logit_scale"))
                Assert.True(p.allclose(full_like(p, Math.Log(10))), name);
            else if (name.Contains(".norm1.") || name.Contains(".norm2.") || name.EndsWith("q_bias") || name.EndsWith("v_bias"))
                Assert.Equal(0f, p.abs().max().item<float>());
            else if (name.StartsWith("encoder.") && p.dim() == 2)   // every encoder Linear weight
            {
                float std = p.std().item<float>();
                Assert.InRange(std, 0.015f, 0.025f);
                Assert.True(p.abs().max().item<float>() <= 2f, name);
            }
        }
        // The same generator seed gives the same encoder.
        using var again = ModelFactory.Create(TestModels.Nano(64), new Generator(7));
        var first = model.Encoder.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in again.Encoder.named_parameters().Where(p => p.name.Contains("qkv")))
            Assert.True(p.Equals(first[name]), name);
    }

    [Fact]
    public void ParameterGroupsExcludeNormsBiasesLogitScaleAndCpbMlpFromDecay()
    {
        using var model = new SwinV2CnnAsppUNet(TestModels.Nano(64));
        var groups = ParameterGroups.Split(model);
        var decay = groups.Decay.Select(p => p.Name).ToHashSet();
        var noDecay = groups.NoDecay.Select(p => p.Name).ToHashSet();
        Assert.Equal(model.named_parameters().Select(p => p.name).ToHashSet(), decay.Union(noDecay).ToHashSet());
        Assert.Empty(decay.Intersect(noDecay));

        const string block = "encoder.encoder.swin.layers_0.blocks.0.";
        Assert.Contains(block + "attn.qkv.weight", decay);
        Assert.Contains(block + "mlp.fc1.weight", decay);
        Assert.Contains("bottleneck.branches.0.0.weight", decay);
        Assert.Contains("decoder.decoder_blocks.0.cbam.channel_attn.mlp.0.weight", decay);
        Assert.Contains("decoder.final_conv.weight", decay);
        foreach (var name in new[]
        {
            block + "attn.logit_scale", block + "attn.q_bias", block + "attn.v_bias", block + "attn.cpb_mlp.0.weight",
            block + "attn.cpb_mlp.0.bias", block + "attn.cpb_mlp.2.weight", block + "attn.proj.bias", block + "norm1.weight",
            "encoder.encoder.swin.patch_embed.norm.weight", "encoder.encoder.swin.layers_1.downsample.norm.weight",
            "bottleneck.project.1.weight", "decoder.decoder_blocks.0.bn1.weight", "decoder.decoder_blocks.0.conv1.bias",
            "stem.full_res.0.1.weight",
        })
            Assert.Contains(name, noDecay);
        Assert.All(decay, n => Assert.EndsWith(".weight", n));
    }

    [Fact]
    public void SummaryCountsPartsAndRunsTheModel()
    {
        using var model = ModelFactory.Create(TestModels.Nano(64));
        model.train();
        var summary = ModelSummary.Create(model);
        Assert.True(model.training, "summary must restore the mode");
        Assert.Equal(model.parameters().Sum(p => p.numel()), summary.TotalParameters);
        Assert.Equal(summary.TotalParameters,
            summary.EncoderParameters + summary.StemParameters + summary.BottleneckParameters + summary.DecoderParameters);
        Assert.True(summary.StemParameters > 0);
        Assert.Equal(new long[] { 1, 1, 64, 64 }, summary.OutputShape);
        Assert.Equal(StateDictKeys.Entries(model).Count, summary.KeyLines.Count);
        Assert.Contains($"encoder.encoder.swin.patch_embed.proj.weight\t[{model.Spec.EmbedDim}, 3, 4, 4]\tfloat32", summary.KeyLines);
        Assert.Contains("decoder.decoder_blocks.0.bn1.num_batches_tracked\t[]\tint64", summary.KeyLines);
        var text = summary.Format(withKeys: true);
        output.WriteLine(text[..Math.Min(text.Length, 800)]);
        Assert.Contains("output: [1, 1, 64, 64] (logits)", text);
        Assert.Contains(summary.KeyLines[0], text);
        Assert.DoesNotContain("\t", summary.Format(withKeys: false));
    }

    [Theory]
    [InlineData(64, 2)]
    [InlineData(96, 1)]   // not the construction size: padded windows at run time
    public void OutputIsLogitsAtTheInputSize(int size, int batch)
    {
        using var scope = NewDisposeScope();
        using var model = ModelFactory.Create(TestModels.Nano(64));
        model.eval();
        using var _ = no_grad();
        var result = model.ForwardIntermediates(randn(batch, 3, size, size));
        Assert.Equal(new long[] { batch, 1, size, size }, result.Logits.shape);
        Assert.Equal([size / 4, size / 8, size / 16, size / 32], result.EncoderStages.Select(s => (int)s.shape[2]));
        Assert.Equal([size, size / 2], result.StemFeatures.Select(s => (int)s.shape[2]));
        Assert.Equal([size / 16, size / 8, size / 4, size / 2, size], result.DecoderBlocks.Select(s => (int)s.shape[2]));
        Assert.True(result.Logits.min().item<float>() < 0 || result.Logits.max().item<float>() > 1 || true);
        Assert.Throws<ArgumentException>(() => model.call(randn(1, 3, 48, 48)));
    }

    [Fact]
    public void NonPersistentTablesStayOutOfTheStateDictAfterUseAndMoves()
    {
        using var scope = NewDisposeScope();
        using var model = new SwinV2CnnAsppUNet(TestModels.Nano(64));
        var before = StateDictKeys.Lines(model);
        model.eval();
        using (no_grad()) model.call(randn(1, 3, 96, 96));
        model.to(ScalarType.Float64);
        using (no_grad()) model.call(randn(1, 3, 64, 64, dtype: ScalarType.Float64));
        model.to(CPU);
        var after = StateDictKeys.Lines(model).Select(l => l.Replace("float64", "float32"));
        Assert.Equal(before, after);
        Assert.DoesNotContain(before, l => l.Contains("relative_") || l.Contains("k_bias") || l.Contains("attn_mask"));
        Assert.Equal(before.Count, model.state_dict().Count);
    }
}
