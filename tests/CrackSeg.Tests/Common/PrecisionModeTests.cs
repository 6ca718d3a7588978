using CrackSeg.Common;
using CrackSeg.Common.Precision;
using CrackSeg.Models;
using CrackSeg.Tests.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Common;

/// <summary>Precision modes through LibTorch's own autocast: on and off by mode, dtypes inside and after, float32 training state.</summary>
public class PrecisionModeTests
{
    private static ScalarType LinearDtype()
    {
        using var scope = NewDisposeScope();
        return nn.functional.linear(ones(2, 4), ones(3, 4)).dtype;
    }

    [Theory]
    [InlineData("fp32", null)]
    [InlineData("tf32", null)]
    [InlineData("bf16", ScalarType.BFloat16)]
    [InlineData("fp16", ScalarType.Float16)]
    public void AutocastIsOnOnlyInsideTheScopeOfReducedPrecisionModes(string name, ScalarType? inside)
    {
        var mode = PrecisionMode.Parse(name, "training.precision");
        Assert.Equal(name == "fp16", mode.LossScaling);
        using (var scope = mode.Enter(CPU))
        {
            Assert.Equal(inside is not null, scope is not null);
            Assert.Equal(inside is not null, AutocastScope.IsEnabled(DeviceType.CPU));
            Assert.Equal(inside ?? ScalarType.Float32, LinearDtype());
        }
        Assert.False(AutocastScope.IsEnabled(DeviceType.CPU));
        Assert.Equal(ScalarType.Float32, LinearDtype());
    }

    [Fact]
    public void AnExceptionInsideTheScopeStillRestoresAutocast()
    {
        Assert.Throws<InvalidOperationException>(ThrowInsideAScope);
        Assert.False(AutocastScope.IsEnabled(DeviceType.CPU));
        Assert.Equal(ScalarType.Float32, LinearDtype());
    }

    private static void ThrowInsideAScope()
    {
        using var scope = PrecisionMode.Bf16.Enter(CPU);
        throw new InvalidOperationException("boom");
    }

    [Fact]
    public void NestedScopesRestoreTheOuterState()
    {
        using (PrecisionMode.Bf16.Enter(CPU))
        {
            using (PrecisionMode.Fp16.Enter(CPU)) Assert.Equal(ScalarType.Float16, LinearDtype());
            Assert.Equal(ScalarType.BFloat16, LinearDtype());
        }
        Assert.Equal(ScalarType.Float32, LinearDtype());
    }

    [Fact]
    public void UnknownNamesAreInputErrorsNamingTheKey()
    {
        var e = Assert.Throws<InputException>(() => PrecisionMode.Parse("fp8", "--precision"));
        Assert.Contains("--precision", e.Message);
        Assert.Contains("bf16", e.Message);
        Assert.Null(LibTorchAutocast.Problem);   // this LibTorch exports autocast: bf16/fp16 are available here
        PrecisionMode.Bf16.EnsureAvailable(CPU, "training.precision");
    }

    [Fact]
    public void AMissingAutocastExportRefusesReducedPrecisionNamingTheSettingNeverFallingBack()
    {
        const string missing = "libtorch_cpu.so does not export _ZN2at8autocast11clear_cacheEv";
        foreach (var mode in new[] { PrecisionMode.Bf16, PrecisionMode.Fp16 })
        {
            var e = Assert.Throws<InputException>(() => mode.EnsureAvailable(missing, "training.precision"));
            Assert.Contains("training.precision", e.Message);
            Assert.Contains(missing, e.Message);
        }
        PrecisionMode.Fp32.EnsureAvailable(missing, "training.precision");   // float32 needs no autocast
        PrecisionMode.Tf32.EnsureAvailable(missing, "training.precision");
    }

    [Theory]
    [InlineData("bf16", ScalarType.BFloat16)]
    [InlineData("fp16", ScalarType.Float16)]
    public void ATrainingStepKeepsFloat32WeightsGradientsAndBatchNormStatistics(string name, ScalarType reduced)
    {
        using var scope = NewDisposeScope();
        using var model = ModelFactory.Create(TestModels.Nano(64), new Generator(3));
        model.train();
        var images = rand(2, 3, 64, 64);
        Tensor logits;
        using (PrecisionMode.Parse(name, "training.precision").Enter(CPU))
        {
            logits = model.forward(images);
            Assert.Equal(reduced, logits.dtype);
            var loss = nn.functional.binary_cross_entropy_with_logits(logits.to(ScalarType.Float32), zeros(2, 1, 64, 64));
            Assert.Equal(ScalarType.Float32, loss.dtype);
            loss.backward();
        }
        Assert.All(model.parameters(), p =>
        {
            Assert.Equal(ScalarType.Float32, p.dtype);
            Assert.NotNull(p.grad);
            Assert.Equal(ScalarType.Float32, p.grad!.dtype);
        });
        Assert.All(model.buffers(), b => Assert.True(b.dtype is ScalarType.Float32 or ScalarType.Int64, $"buffer dtype {b.dtype}"));
        Assert.True(model.parameters().All(p => isfinite(p.grad!).all().item<bool>()));
    }

    [Fact]
    public void UnderBf16TheEncoderNormalisesInFloat32AndTheDecoderRunsInBf16()
    {
        using var scope = NewDisposeScope();
        using var model = ModelFactory.Create(TestModels.Nano(64), new Generator(5));
        model.eval();
        var images = rand(1, 3, 64, 64);
        using var noGrad = no_grad();
        ModelIntermediates reduced;
        using (PrecisionMode.Bf16.Enter(CPU)) reduced = model.ForwardIntermediates(images);
        // Stage outputs end in LayerNorm (post-norm residual stream): float32, as CUDA autocast keeps layer_norm.
        Assert.All(reduced.EncoderStages, s => Assert.Equal(ScalarType.Float32, s.dtype));
        Assert.Equal(ScalarType.BFloat16, reduced.Logits.dtype);
        // And bf16 stays close to float32 on the same weights.
        var full = model.ForwardIntermediates(images).Logits;
        double diff = (reduced.Logits.to(ScalarType.Float32) - full).abs().max().item<float>();
        double range = full.abs().max().item<float>();
        Assert.True(diff < 0.05 * Math.Max(1, range), $"bf16 logits differ by {diff} (range {range})");
    }
}
