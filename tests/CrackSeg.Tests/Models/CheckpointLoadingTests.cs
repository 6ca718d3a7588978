using System.Collections.Specialized;
using CrackSeg.Common;
using CrackSeg.Models;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Models;

public sealed class CheckpointLoadingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crackseg-model-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(".safetensors", false)]
    [InlineData(".pth", false)]
    [InlineData(".pth", true)]   // original Microsoft layout: downsample at the end of the previous stage
    public void PretrainedClassifierCheckpointLoadsIntoTheEncoder(string extension, bool microsoftLayout)
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var source = ModelFactory.Create(TestModels.Nano(64));
        var path = Path.Combine(_dir, "timm" + extension);
        var checkpoint = ClassifierCheckpoint(source, microsoftLayout);
        if (extension == ".safetensors") Safetensors.SaveStateDict(path, checkpoint);
        else PyTorchPickler.PickleStateDict(path, ToOrdered(checkpoint));

        manual_seed(2);
        using var target = ModelFactory.Create(TestModels.Nano(64) with { PretrainedEncoder = path });
        var expected = source.Encoder.state_dict();
        foreach (var (key, value) in target.Encoder.state_dict())
            Assert.True(value.Equals(expected[key]), key);
        // Only the encoder is touched.
        Assert.False(target.state_dict()["decoder.final_conv.weight"].Equals(source.state_dict()["decoder.final_conv.weight"]));
    }

    [Fact]
    public void PretrainedMismatchesAreListedInOneError()
    {
        using var scope = NewDisposeScope();
        using var source = new SwinV2CnnAsppUNet(TestModels.Nano(64));
        var checkpoint = ClassifierCheckpoint(source, microsoftLayout: false);
        checkpoint.Remove("layers.0.blocks.0.attn.q_bias");
        int embed = source.Spec.EmbedDim;
        checkpoint["layers.0.blocks.0.mlp.fc1.weight"] = zeros(7, embed);
        checkpoint["layers.9.blocks.0.extra"] = zeros(1);
        var path = Path.Combine(_dir, "bad.safetensors");
        Safetensors.SaveStateDict(path, checkpoint);

        using var target = new SwinV2CnnAsppUNet(TestModels.Nano(64));
        var e = Assert.Throws<InputException>(() => PretrainedEncoderLoader.Load(target, path));
        Assert.StartsWith("model.pretrained_encoder", e.Message);
        Assert.Contains("missing keys (1)", e.Message);
        Assert.Contains("encoder.encoder.swin.layers_0.blocks.0.attn.q_bias", e.Message);
        Assert.Contains("unexpected keys (1)", e.Message);
        Assert.Contains("encoder.encoder.swin.layers_9.blocks.0.extra", e.Message);
        Assert.Contains("mis-shaped keys (1)", e.Message);
        Assert.Contains($"encoder.encoder.swin.layers_0.blocks.0.mlp.fc1.weight: checkpoint [7, {embed}], model [{4 * embed}, {embed}]", e.Message);
    }

    [Fact]
    public void MissingOrUnreadableFilesAreInputErrors()
    {
        using var model = new SwinV2CnnAsppUNet(TestModels.Nano(64));
        Assert.Contains("file not found", Assert.Throws<InputException>(() => PretrainedEncoderLoader.Load(model, Path.Combine(_dir, "nope.pth"))).Message);
        var junk = Path.Combine(_dir, "junk.pth");
        File.WriteAllText(junk, "not a checkpoint");
        Assert.Contains("cannot read", Assert.Throws<InputException>(() => StateDictLoader.LoadFile(model, junk, "checkpoint")).Message);
    }

    [Fact]
    public void FullStateDictRoundTripsThroughPyTorchFilesIncludingCheckpointDicts()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var source = ModelFactory.Create(TestModels.Nano(64));
        using (no_grad())
            foreach (var (_, buffer) in source.named_buffers()) buffer.add_(1);   // running stats + num_batches_tracked

        var plain = Path.Combine(_dir, "model.pth");
        source.save_py(plain);
        var wrapped = Path.Combine(_dir, "checkpoint.pth");
        var stateDict = ToOrdered(StateDictKeys.Entries(source).ToDictionary(e => e.Key, e => e.Value));
        PyTorchPickler.PickleStateDict(wrapped, new OrderedDictionary { ["epoch"] = 3L, ["model_state_dict"] = stateDict });

        foreach (var (path, viaHashtable) in new[] { (plain, false), (wrapped, false), (wrapped, true) })
        {
            using var target = new SwinV2CnnAsppUNet(TestModels.Nano(64));
            if (viaHashtable) StateDictLoader.Load(target, PyTorchUnpickler.UnpickleStateDict(path), "checkpoint");
            else StateDictLoader.LoadFile(target, path, "checkpoint");
            var expected = source.state_dict();
            foreach (var (key, value) in target.state_dict())
                Assert.True(value.Equals(expected[key]), $"{path}: {key}");
        }
    }

    [Fact]
    public void StrictLoadRejectsAnotherArchitectureWithEveryProblemListed()
    {
        using var scope = NewDisposeScope();
        using var nano = new SwinV2CnnAsppUNet(TestModels.Nano(64));
        using var seedLike = new SwinV2CnnAsppUNet(TestModels.GoldenSwinSmall());
        var e = Assert.Throws<InputException>(() => StateDictLoader.Load(nano, seedLike.state_dict(), "checkpoint 'x.pth'"));
        Assert.StartsWith("checkpoint 'x.pth': the state dict does not match the model.", e.Message);
        Assert.Contains("missing keys", e.Message);        // the stem
        Assert.Contains("mis-shaped keys", e.Message);     // widths differ
        Assert.Contains("... and", e.Message);             // long lists are shortened
    }

    /// <summary>A timm classifier state dict (keys `layers.N.`, final norm, head) made from a model's encoder.</summary>
    private static Dictionary<string, Tensor> ClassifierCheckpoint(SwinV2CnnAsppUNet model, bool microsoftLayout)
    {
        var result = new Dictionary<string, Tensor>();
        foreach (var (key, value) in StateDictKeys.Entries(model.Encoder))
        {
            var name = System.Text.RegularExpressions.Regex.Replace(key, @"^layers_(\d+)\.", "layers.$1.");
            if (microsoftLayout)
                name = System.Text.RegularExpressions.Regex.Replace(name, @"^layers\.(\d+)\.downsample",
                    m => $"layers.{int.Parse(m.Groups[1].Value) - 1}.downsample");
            result[name] = value.detach().clone();
        }
        int last = model.Encoder.Channels[^1];
        result["norm.weight"] = ones(last);
        result["norm.bias"] = zeros(last);
        result[microsoftLayout ? "head.weight" : "head.fc.weight"] = zeros(1000, last);
        result["layers.0.blocks.1.attn_mask"] = zeros(64, 64, 64);
        result["layers.0.blocks.0.attn.relative_position_index"] = zeros(new long[] { 64, 64 }, dtype: ScalarType.Int64);
        result["layers.0.blocks.0.attn.relative_coords_table"] = zeros(1, 15, 15, 2);
        return result;
    }

    /// <summary>
    /// The one rule of every loader (issue 16: evaluation's reader did not take <c>model</c> and listed 8 keys): a
    /// checkpoint dict's weights under <c>model</c> load through the evaluation path as through the file reader, and
    /// a state dict that does not fit lists <see cref="StateDictLoader.ListedPerKind"/> (20) keys of a kind, then the rest counted.
    /// </summary>
    [Fact]
    public void EveryLoaderUnwrapsAModelKeyAndListsTwentyKeysOfEachProblem()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        using var source = ModelFactory.Create(TestModels.Nano(64));
        var state = StateDictKeys.Entries(source).ToDictionary(e => e.Key, e => e.Value);
        var path = Path.Combine(_dir, "timm-style.pth");
        PyTorchPickler.PickleStateDict(path, new OrderedDictionary { ["epoch"] = 3, ["model"] = ToOrdered(state) });

        using var viaEvaluation = ModelFactory.Create(TestModels.Nano(64));
        var info = CrackSeg.Evaluation.ModelCheckpoint.Restore(viaEvaluation, path, "path", RunLog.Silent);
        Assert.Equal(CrackSeg.Evaluation.CheckpointKind.PythonDict, info.Kind);
        Assert.Equal(3, info.Epoch);
        var read = StateDictLoader.ReadFile(path, "checkpoint");
        Assert.Equal(state.Keys.Order(StringComparer.Ordinal), read.Keys.Order(StringComparer.Ordinal));
        var restored = viaEvaluation.state_dict();
        foreach (var (key, value) in state)
        {
            Assert.True(value.Equals(restored[key]), key);
            Assert.True(value.Equals(read[key]), key);
        }

        var partial = state.Take(state.Count - 25).ToDictionary(kv => kv.Key, kv => kv.Value);
        var e = Assert.Throws<InputException>(() => CrackSeg.Artifacts.ModelStateCodec.Restore(viaEvaluation, partial, "p.pth"));
        var listed = e.Message.Split('\n').SkipWhile(l => !l.Contains("missing keys (25):")).Skip(1).TakeWhile(l => l.StartsWith("    ")).ToList();
        Assert.Equal(21, listed.Count);
        Assert.Equal("    ... and 5 more", listed[^1].TrimEnd());
        Assert.StartsWith("checkpoint 'p.pth': the state dict does not match the model.", e.Message);
    }

    private static OrderedDictionary ToOrdered(Dictionary<string, Tensor> source)
    {
        var ordered = new OrderedDictionary();
        foreach (var (key, value) in source) ordered[key] = value;
        return ordered;
    }
}
