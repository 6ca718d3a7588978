using CrackSeg.Common;
using CrackSeg.Evaluation;
using CrackSeg.Tests.TestSupport;

namespace CrackSeg.Tests.Evaluation;

/// <summary>evaluate and predict run under the run's precision or <c>--precision</c>.</summary>
[Collection(TrainedExperimentCollection.Name)]
public sealed class EvaluationPrecisionTests(TrainedExperimentFixture fixture)
{
    [Fact]
    public void Bf16EvaluationStaysCloseToFloat32()
    {
        using var dir = new TempDir();
        var fp32 = fixture.Evaluation.Report.Metrics;
        var bf16 = new Evaluator(RunLog.Silent).Run(new EvaluationOptions
        {
            Experiment = fixture.ExperimentDir, Overlays = 0, Precision = "bf16", OutputDir = Path.Combine(dir.Path, "bf16"),
        }).Report.Metrics;
        Assert.Equal(fp32.Total.Pixels, bf16.Total.Pixels);
        Assert.NotNull(fp32.Loss);
        Assert.NotNull(bf16.Loss);
        Assert.InRange(Math.Abs(bf16.Loss!.Value - fp32.Loss!.Value), 0, 0.02 * Math.Max(1, fp32.Loss.Value));
        // Run in reduced precision for real: the losses are not bit-identical.
        Assert.NotEqual(fp32.Loss.Value, bf16.Loss.Value);
    }

    [Fact]
    public void AnUnknownPrecisionIsAnInputErrorNamingTheOption()
    {
        var r = CliRunner.Run("evaluate", "--experiment", fixture.ExperimentDir, "--precision", "fp8");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--precision", r.Error + r.Output, StringComparison.Ordinal);
    }
}
