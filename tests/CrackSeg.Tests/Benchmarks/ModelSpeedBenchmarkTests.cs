using System.Diagnostics;
using System.Text.RegularExpressions;
using CrackSeg.Benchmarks;
using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Models;
using CrackSeg.Tests.Models;
using CrackSeg.Tests.TestSupport;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Benchmarks;

/// <summary>`crackseg bench model` and the PyTorch reference that scripts/bench-vs-pytorch.sh times against it.</summary>
public class ModelSpeedBenchmarkTests(ITestOutputHelper output)
{
    private static readonly ModelSpeedConfiguration Tiny = new("tiny", new ModelConfig { Preset = "nano" }, 2);

    [Fact]
    public void OneTimedStepSplitsExactlyIntoItsPhases()
    {
        var r = ModelSpeedBenchmark.Run(Tiny, 64, CPU, new ModelSpeedOptions { Warmup = 0, Iterations = 1, Phases = true });
        Assert.NotNull(r.Phases);
        var p = r.Phases!;
        Assert.All(new[] { p.ForwardMs, p.BackwardMs, p.OptimizerMs }, ms => Assert.True(ms > 0, $"phase {ms} ms"));
        Assert.True(p.OtherMs >= 0);
        // With one timed step the medians are that step's own phases: they add up to its duration.
        double stepMs = 1000.0 * r.BatchSize / r.TrainImagesPerSecond;
        Assert.Equal(stepMs, p.ForwardMs + p.BackwardMs + p.OptimizerMs + p.OtherMs, 6);
    }

    [Fact]
    public void LinesKeepTheFormatScriptsParse()
    {
        var r = ModelSpeedBenchmark.Run(Tiny, 64, CPU, new ModelSpeedOptions { Warmup = 0, Iterations = 2, Phases = true });
        using var model = ModelFactory.Create(Tiny.Model, 64);
        long parameters = model.parameters().Sum(t => t.numel());
        Assert.Equal(parameters, r.Parameters);
        Assert.Matches(new Regex(@"^model tiny: [0-9,]+ params, batch 2: forward [0-9]+\.[0-9]{2} img/s, train [0-9]+\.[0-9]{2} img/s$"), r.Describe());
        Assert.Contains($"{parameters:N0} params", r.Describe(), StringComparison.Ordinal);
        Assert.Matches(new Regex(@"^phases tiny: forward [0-9.]+ ms, backward [0-9.]+ ms, optimizer [0-9.]+ ms, other [0-9.]+ ms$"), r.DescribePhases()!);
        Assert.DoesNotContain("Python", r.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void PhasesAreOnlyReportedWhenAskedFor()
    {
        var r = ModelSpeedBenchmark.Run(Tiny, 64, CPU, new ModelSpeedOptions { Warmup = 0, Iterations = 1 });
        Assert.Null(r.Phases);
        Assert.Null(r.DescribePhases());
    }

    [Theory]
    [InlineData("tf32")]
    [InlineData("bf16")]
    [InlineData("fp16")]
    public void EveryPrecisionModeIsTimedThroughTheTrainingLoopsPath(string precision)
    {
        var options = new ModelSpeedOptions { Warmup = 0, Iterations = 1, Training = new TrainingConfig { Precision = precision } };
        var r = ModelSpeedBenchmark.Run(Tiny, 64, CPU, options);
        Assert.True(r.ForwardImagesPerSecond > 0 && r.TrainImagesPerSecond > 0);
        Assert.False(CrackSeg.Common.Precision.AutocastScope.IsEnabled(TorchSharp.DeviceType.CPU), "autocast left on after the benchmark");
    }

    [Fact]
    public void AnUnknownPrecisionIsRefusedNamingTheKey()
    {
        var options = new ModelSpeedOptions { Warmup = 0, Iterations = 1, Training = new TrainingConfig { Precision = "fp8" } };
        var error = Assert.Throws<InputException>(() => ModelSpeedBenchmark.Run(Tiny, 64, CPU, options));
        Assert.Contains("training.precision", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SelectNamesTheConfigurationsOfTheAnchor()
    {
        Assert.Equal(["seed", "small"], ModelSpeedBenchmark.Select(null).Select(c => c.Name));
        var small = Assert.Single(ModelSpeedBenchmark.Select("small"));
        Assert.Equal(4, small.BatchSize);
        var error = Assert.Throws<InputException>(() => ModelSpeedBenchmark.Select("tiny"));
        Assert.Contains("--only", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--only", "nano", "--only")]
    [InlineData("--iterations", "0", "--iterations")]
    [InlineData("--warmup", "-1", "--warmup")]
    public void BadBenchModelOptionsExitWithTwoNamingTheOption(string option, string value, string named)
    {
        var r = CliRunner.Run("bench", "model", option, value);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(named, r.Error + r.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void BenchModelTakesTrainingOverridesAndRefusesAnUnknownPrecisionWithExitTwo()
    {
        var r = CliRunner.Run("bench", "model", "--only", "small", "training.precision=fp8");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("training.precision", r.Error + r.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// The PyTorch reference is only a fair anchor while it is our model: golden hybrid outputs within
    /// 1e-5 and, for each configuration `bench model` times, the parameter count of our model.
    /// </summary>
    [SkippableFact]
    public void PyTorchReferenceReproducesTheGoldenOutputsAndOurParameterCounts()
    {
        string golden = GoldenFixtures.Require();
        string python = Environment.GetEnvironmentVariable("CRACKSEG_PYTHON") ?? "/usr/bin/python3";
        RequiredInput.SkipUnless(HasTorch(python), RequiredInput.PyTorch,
            $"{python} has no torch (set CRACKSEG_PYTHON; CI installs Debian's python3-torch)");
        var counts = ModelSpeedBenchmark.Configurations.Select(c =>
        {
            using var model = ModelFactory.Create(c.Model, ModelSpeedBenchmark.ImageSize);
            return $"{c.Name}={model.parameters().Sum(t => t.numel())}";
        }).ToList();
        string script = Path.Combine(RepositoryRoot.Path, "scripts", "pytorch_reference", "check_parity.py");

        var (code, stdout) = Run(python, [script, "--golden", golden, .. counts]);
        output.WriteLine(stdout);
        Assert.True(code == 0, stdout);
        Assert.Contains("parity: ok", stdout, StringComparison.Ordinal);
        Assert.Contains("params seed: 37468465", stdout, StringComparison.Ordinal);
        Assert.Contains("params small: 1929637", stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// scripts/pytorch_reference/summarise.py turns the harness's rows into the issue's `name: value` lines:
    /// ratios of medians over rounds, the faster working PyTorch mode as the bf16 anchor, and
    /// `unavailable (reason)` where a side could not run.
    /// </summary>
    [SkippableFact]
    public void SideBySideSummaryPrintsRatiosOfMediansAndNamesWhatIsUnavailable()
    {
        using var dir = new TempDir();
        string tsv = Path.Combine(dir.Path, "rows.tsv");
        string[] rows =
        [
            "round\tside\tprecision\tname\tstatus\tforward_img_s\ttrain_img_s\tforward_ms\tbackward_ms\toptimizer_ms\tother_ms\treason",
            "1\tours\tfp32\tseed\tok\t8\t2\t300\t600\t90\t10\t",
            "2\tours\tfp32\tseed\tok\t7\t3\t300\t600\t90\t10\t",
            "3\tours\tfp32\tseed\tok\t9\t2.5\t300\t600\t90\t10\t",
            "1\tpytorch\tfp32\tseed\tok\t9\t2.5\t250\t500\t80\t5\t",
            "2\tpytorch\tfp32\tseed\tok\t8\t2\t250\t500\t80\t5\t",
            "3\tpytorch\tfp32\tseed\tok\t10\t2.25\t250\t500\t80\t5\t",
            "1\tours\tbf16\tseed\tok\t12\t4\t150\t300\t90\t10\t",
            "2\tours\tbf16\tseed\tok\t11\t5\t150\t300\t90\t10\t",
            "3\tours\tbf16\tseed\tok\t13\t4.5\t150\t300\t90\t10\t",
            "1\tpytorch\tbf16\tseed\tunavailable\t\t\t\t\t\t\tlayer_norm refused",
            "1\tours\tfp32\tsmall\tok\t80\t20\t1\t2\t3\t4\t",
            "1\tpytorch\tfp32\tsmall\tok\t60\t16\t1\t2\t3\t4\t",
            "1\tpytorch\tbf16\tsmall\tok\tnan\t25\t1\t2\t3\t4\t",
            "1\tours\tbf16\tsmall\tok\t90\t30\t1\t2\t3\t4\t",
        ];
        File.WriteAllLines(tsv, rows);
        string script = Path.Combine(RepositoryRoot.Path, "scripts", "pytorch_reference", "summarise.py");
        string python = Environment.GetEnvironmentVariable("CRACKSEG_PYTHON") ?? "/usr/bin/python3";
        RequiredInput.SkipUnless(CanRun(python), RequiredInput.PyTorch, $"{python} cannot be run");

        var (code, stdout) = Run(python, [script, tsv]);
        Assert.True(code == 0, stdout);
        var figures = stdout.Split('\n').Where(l => l.StartsWith("ratio_", StringComparison.Ordinal) || l.StartsWith("bf16_speedup", StringComparison.Ordinal)).ToList();
        Assert.Equal(
        [
            "ratio_train_fp32_seed: 1.11",                              // medians 2.5 / 2.25
            "ratio_train_fp32_small: 1.25",
            "ratio_fwd_fp32_seed: 0.89",                                // medians 8 / 9
            "ratio_fwd_fp32_small: 1.33",
            "ratio_train_bf16_seed: 2.00",                              // 4.5 against PyTorch fp32 (autocast failed)
            "ratio_train_bf16_small: 1.20",                             // 30 against PyTorch autocast (25 > fp32 16)
            "bf16_speedup_seed: 1.80",                                  // 4.5 / 2.5
        ], figures);
        Assert.Contains("bf16 anchor small: PyTorch autocast-bf16 (25.00 img/s)", stdout, StringComparison.Ordinal);
        Assert.Contains("bf16 anchor seed: PyTorch fp32 (2.25 img/s; autocast-bf16 unavailable: layer_norm refused)", stdout, StringComparison.Ordinal);
    }

    private static bool HasTorch(string python) => CanRun(python, "import torch");

    private static bool CanRun(string python, string code = "pass")
    {
        try { return Run(python, ["-c", code]).Code == 0; }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    private static (int Code, string Stdout) Run(string file, string[] args)
    {
        var (code, stdout, stderr) = ExternalProcess.Run(file, args);
        return (code, stdout + stderr);
    }
}
