using System.Text.Json.Nodes;
using CrackSeg.Artifacts;
using CrackSeg.Tests.TestSupport;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Training;

/// <summary>
/// The resume contract: 3 epochs uninterrupted equal 2 epochs plus a new process resuming to 3 —
/// the same per-epoch metrics and bit-identical weights on CPU.
/// </summary>
public class ExactResumeTests
{
    private static readonly string[] TimingKeys = ["timestamp", "epoch_time_s", "samples_per_s"];

    [Theory]
    [InlineData("fp32", false)]
    [InlineData("bf16", false)]
    [InlineData("fp16", false)]   // also restores the loss scaler's state
    [InlineData("fp32", true)]    // and the weight average
    public void ResumingInANewProcessReproducesTheUninterruptedRun(string precision, bool ema)
    {
        using var dir = new TempDir();
        string straightRoot = Path.Combine(dir.Path, "straight"), resumedRoot = Path.Combine(dir.Path, "resumed");
        // Both runs read the same generated data so only the interruption differs.
        string data = $"data.root={Path.Combine(dir.Path, "data")}", mode = $"training.precision={precision}", average = $"training.ema.enabled={(ema ? "true" : "false")}";

        var straight = CliProcess.Run(dir.Path, ["train", .. TinyRun.Overrides(straightRoot, epochs: 3), data, mode, average]);
        Assert.True(straight.ExitCode == 0, straight.Error);
        var first = CliProcess.Run(dir.Path, ["train", "--stop-after-epoch", "2", .. TinyRun.Overrides(resumedRoot, epochs: 3), data, mode, average]);
        Assert.True(first.ExitCode == 130, first.Error); // stopped early on request: resumable, like Ctrl+C
        string resumedFolder = Directory.GetDirectories(Path.Combine(resumedRoot, "experiments")).Single();
        var second = CliProcess.Run(dir.Path, "train", "--resume", resumedFolder);
        Assert.True(second.ExitCode == 0, second.Error);

        string straightFolder = Directory.GetDirectories(Path.Combine(straightRoot, "experiments")).Single();
        Assert.Equal(EpochLines(straightFolder), EpochLines(resumedFolder));
        Assert.Equal(3, EpochLines(resumedFolder).Count);
        AssertSameWeights(Path.Combine(straightFolder, "checkpoints", "epoch_3.pth"), Path.Combine(resumedFolder, "checkpoints", "epoch_3.pth"));
        Assert.Empty(ArtifactVerifier.Verify(straightFolder));
        Assert.Empty(ArtifactVerifier.Verify(resumedFolder));
        using var last = CheckpointStore.Load(Path.Combine(resumedFolder, "checkpoints", "epoch_3.pth"));
        Assert.Equal(precision == "fp16", last.Scaler is not null);   // scaler_state_dict only where a scaler runs
        Assert.Equal(ema, last.EmaState is not null);
    }

    private static List<string> EpochLines(string folder) =>
        File.ReadAllLines(Path.Combine(folder, "metrics", "metrics.jsonl"))
            .Select(line =>
            {
                var node = JsonNode.Parse(line)!.AsObject();
                foreach (var key in TimingKeys) node.Remove(key);
                return node.ToJsonString();
            })
            .ToList();

    internal static void AssertSameWeights(string a, string b)
    {
        using var left = CheckpointStore.Load(a);
        using var right = CheckpointStore.Load(b);
        Assert.Equal(left.ModelState.Keys.ToList(), right.ModelState.Keys.ToList());
        foreach (var (key, tensor) in left.ModelState)
            Assert.True(tensor.Equals(right.ModelState[key]), $"{key} differs between {a} and {b}");
        Assert.Equal(left.EmaState is null, right.EmaState is null);
        foreach (var (key, tensor) in left.EmaState ?? new Dictionary<string, Tensor>())
            Assert.True(tensor.Equals(right.EmaState![key]), $"ema {key} differs between {a} and {b}");
    }
}
