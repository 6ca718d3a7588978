using System.Text.RegularExpressions;
using CrackSeg.Metrics;
using CrackSeg.Tests.TestSupport;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Training;

/// <summary>
/// The per-batch code (data path, training loop, metric kernels) reads device values and uploads host data only
/// through <c>HostSync</c> and <c>StagingBuffer</c>, where they are counted. A read or an upload added anywhere else
/// — <c>.item()</c>, <c>.cpu()</c>, <c>data&lt;T&gt;()</c>, <c>tensor(array, device)</c> — would stall a GPU every batch
/// without showing in <c>bench train</c>; this test finds it in the source.
/// </summary>
public class HostTransferRulesTests
{
    private static readonly string[] PerBatchFolders = ["src/CrackSeg/Data", "src/CrackSeg/Training", "src/CrackSeg/Metrics"];

    /// <summary>Files allowed a direct transfer, with the reason.</summary>
    private static readonly Dictionary<string, string> Allowed = new()
    {
        ["HostSync.cs"] = "the counted reads",
        ["StagingBuffer.cs"] = "the counted upload",
        ["TensorBoardLog.cs"] = "once per epoch, only with logging.tensorboard: the image strip goes to the host",
    };

    private static readonly Regex Transfer = new(@"\.item<|\.item\(\)|\.data<|\.cpu\(\)|(?<![\w.])tensor\(|as_tensor\(|from_array\(|frombuffer\(", RegexOptions.Compiled);

    [Fact]
    public void PerBatchCodeMovesDataOnlyThroughTheCountedOwners()
    {
        string root = RepositoryRoot.Path;
        var offences = new List<string>();
        foreach (var folder in PerBatchFolders)
        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
        {
            if (Allowed.ContainsKey(Path.GetFileName(file))) continue;
            var lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                string code = lines[i].Split("//")[0];
                if (Transfer.IsMatch(code)) offences.Add($"{Path.GetRelativePath(root, file)}:{i + 1}: {lines[i].Trim()}");
            }
        }
        Assert.True(offences.Count == 0, "host transfers outside HostSync/StagingBuffer:\n" + string.Join("\n", offences));
    }

    [Fact]
    public void TheRuleCatchesADeliberatelyAddedReadOrUpload()
    {
        Assert.Matches(Transfer, "var x = loss.item<float>();");
        Assert.Matches(Transfer, "var t = tensor(values, device: device);");
        Assert.Matches(Transfer, "using var host = counts.cpu();");
        Assert.DoesNotMatch(Transfer, "var t = as_strided_tensor_helper(x); var y = zeros_like(x);");
    }

    [Fact]
    public void DeviceMadeBinBoundariesEqualTheHostThresholds()
    {
        using var scope = NewDisposeScope();
        foreach (int bins in new[] { 1, 7, 100, 256, 1000, 4096 })
            Assert.Equal(ProbabilityBins.Thresholds(bins)[1..], ProbabilityBins.Boundaries(bins, CPU).data<float>().ToArray());
    }
}
