using System.Text;
using CrackSeg.Artifacts;
using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Tests.TestSupport;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Artifacts;

/// <summary>A RunLog whose lines the test can read.</summary>
internal sealed class CapturedLog
{
    private readonly StringWriter _writer = new();
    public CapturedLog() => Log = new RunLog(LogLevel.Debug, _writer);
    public RunLog Log { get; }
    public string Text => _writer.ToString();
}

/// <summary>A small conv net with parameters and buffers (BatchNorm's running stats, an int64 counter).</summary>
internal sealed class TinyNet : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d head;

    public TinyNet(int width = 4) : base(nameof(TinyNet))
    {
        conv1 = nn.Conv2d(3, width, 3, padding: 1);
        bn1 = nn.BatchNorm2d(width);
        head = nn.Conv2d(width, 1, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => head.forward(nn.functional.relu(bn1.forward(conv1.forward(x))));
}

internal static class ArtifactFixtures
{
    public const string ConfigText = """
        experiment:
          name: unit
          seed: 7
        training:
          epochs: 5
          learning_rate: 0.001
          early_stopping:
            monitor: val_iou
            mode: max
            min_delta: 0.0
          checkpoint:
            every: 1
            keep_last: 2
        data:
          root: data/synthetic
          cache_max_bytes: 2147483648
          splits: [0.7, 0.15, 0.15]
        """;

    public static readonly HardwareSnapshot Cpu = new("cpu", false, HardwareSnapshot.NoGpuName, null, null, "Test CPU @ 1GHz", 2);

    public static ValidationMetrics Val(double iou, double loss = 0.3) =>
        new(loss, iou, F1: iou + 0.1, Precision: 0.8, Recall: 0.7, Dice: iou + 0.1, Accuracy: 0.95);

    /// <summary>Epoch records with IoU rising to a peak at <paramref name="peak"/> then falling; validated every <paramref name="valEvery"/> epochs (and at the last).</summary>
    public static List<EpochRecord> Records(int count, int valEvery = 1, int peak = int.MaxValue)
    {
        var start = new DateTimeOffset(2024, 1, 15, 10, 30, 0, TimeSpan.FromHours(1));
        return Enumerable.Range(1, count).Select(e => new EpochRecord(
            e, 0.9 / e, e % valEvery == 0 || e == count ? Val(0.5 + 0.01 * Math.Min(e, peak) - 0.005 * Math.Max(0, e - peak)) : null,
            start.AddMinutes(e), 1e-4 * (1 - 0.05 * e), 1.5 + e, 60.25 + e, 12.5)).ToList();
    }

    /// <summary>The best epoch of <paramref name="records"/> by val_iou (max, first wins ties).</summary>
    public static int? BestOf(IReadOnlyList<EpochRecord> records) =>
        records.Where(r => r.Validation is not null).OrderByDescending(r => r.Validation!.Iou).ThenBy(r => r.Epoch).FirstOrDefault()?.Epoch;

    public static ExperimentSnapshot Snapshot(IReadOnlyList<EpochRecord> records, RunStatus status = RunStatus.Running, int trainingEpochs = 5) => new()
    {
        ExperimentName = "unit",
        ProjectName = "crack-segmentation",
        ModelPreset = "nano",
        ParameterCount = 1234,
        Dataset = "data/synthetic",
        TrainingEpochs = trainingEpochs,
        BatchSize = 4,
        LearningRate = 1e-4,
        Epochs = records,
        BestEpoch = BestOf(records),
        TotalTrainingTimeS = 61.5 * records.Count,
        Hardware = Cpu,
        Seed = 7,
        Versions = [new("crackseg", "0.1.0"), new("torchsharp", "0.107.0")],
        ConfigYaml = ConfigText,
        Status = status,
        EarlyStopReason = status == RunStatus.EarlyStopped ? "val_iou did not improve for 2 validations" : null,
    };

    /// <summary>One training step of <paramref name="net"/> on a fixed random batch derived from <paramref name="step"/>.</summary>
    public static void TrainStep(TinyNet net, optim.Optimizer optimizer, int step)
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator((ulong)(1000 + step));
        var x = randn([2, 3, 8, 8], generator: gen);
        var y = (rand([2, 1, 8, 8], generator: gen) > 0.7).to_type(ScalarType.Float32);
        optimizer.zero_grad();
        var loss = nn.functional.binary_cross_entropy_with_logits(net.forward(x), y);
        loss.backward();
        optimizer.step();
    }

    public static Checkpoint CheckpointOf(TinyNet net, optim.Optimizer optimizer, IReadOnlyList<EpochRecord> history, long globalStep) => new()
    {
        Epoch = history.Count,
        GlobalStep = globalStep,
        ModelState = net.state_dict(),
        OptimizerState = OptimizerStateCodec.Capture((OptimizerHelper)optimizer),
        Metrics = Checkpoint.MetricsOf(history[^1]),
        BestMetric = BestOf(history) is int b ? history[b - 1].Validation!.Iou : null,
        BestEpoch = BestOf(history),
        ConfigYaml = ConfigText,
        EarlyStopping = new EarlyStoppingState("val_iou", "max", BestOf(history) is int bb ? history[bb - 1].Validation!.Iou : null, BestOf(history), 0),
        Plateau = new PlateauState(null, 0, 1.0, 0),
        History = history,
        Seed = 7,
        TotalTrainingTimeS = 61.5 * history.Count,
    };

    /// <summary>
    /// A complete experiment folder as a trainer makes it: log attached, splits written, then per epoch a
    /// real training step of a tiny net, its checkpoint and the saver. Returns the folder root.
    /// </summary>
    public static string BuildValidFolder(string outputDir, int epochs = 3, int valEvery = 1, int peak = int.MaxValue,
        RunStatus finalStatus = RunStatus.Completed, int trainingEpochs = 3, CheckpointConfig? checkpointConfig = null)
    {
        var folder = ExperimentFolder.Create(outputDir, "unit", new DateTimeOffset(2024, 1, 15, 10, 30, 0, TimeSpan.FromHours(1)));
        using var log = new RunLog(LogLevel.Info, TextWriter.Null);
        log.AttachFile(folder.TrainingLog);
        File.WriteAllText(folder.SplitsJson, """{"train": ["a", "b"], "val": ["c"], "test": ["d"]}""");
        var store = new CheckpointStore(folder, checkpointConfig ?? new CheckpointConfig { Every = 1, KeepLast = 2 }, log);
        var saver = new ExperimentSaver(log);
        var records = Records(epochs, valEvery, peak);
        using var net = new TinyNet();
        var optimizer = optim.AdamW(net.parameters(), 1e-3, weight_decay: 0.01);
        int? best = null;
        for (int e = 1; e <= epochs; e++)
        {
            TrainStep(net, optimizer, e);
            var history = records.Take(e).ToList();
            bool isBest = BestOf(history) != best && BestOf(history) == e;
            best = BestOf(history);
            store.SaveEpoch(CheckpointOf(net, optimizer, history, e), isBest, forceEpochFile: e == epochs);
            saver.Save(folder, Snapshot(history, e == epochs ? finalStatus : RunStatus.Running, trainingEpochs));
        }
        return folder.Root;
    }

    public static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var dir in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(dir.Replace(source, target));
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            File.Copy(file, file.Replace(source, target));
    }

    public static string ReadText(string path) => File.ReadAllText(path, Encoding.UTF8);
}
