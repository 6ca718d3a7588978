using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Evaluation;
using CrackSeg.Training;

namespace CrackSeg.Tests.Evaluation;

/// <summary>The evaluate and predict test classes share one trained experiment.</summary>
[CollectionDefinition(Name)]
public sealed class TrainedExperimentCollection : ICollectionFixture<TrainedExperimentFixture>
{
    public const string Name = "trained experiment";
}

/// <summary>
/// One tiny experiment trained in-process for the evaluation tests: the nano model at 32 px crops, five short
/// epochs (validated once, at the end) on 16 synthetic 144×72 images (8 train / 4 val / 4 test). 144×72 is not a multiple of 32, so evaluation batches
/// are padded (to 160×96) and the content crops are exercised. data.max_pixels is just above 144·72 so that
/// predict has a "too large" input to skip. (The sizes also suit main's synthetic texture generator, whose
/// noise lattice needs both sides to be multiples of every wavelength max(w, h)/2^k.)
/// </summary>
public sealed class TrainedExperimentFixture : IDisposable
{
    private readonly Lazy<EvaluationOutcome> _evaluation;

    public const int ImageWidth = 144;
    public const int ImageHeight = 72;
    public const long MaxPixels = 12000;
    /// <summary>20 optimizer steps: enough for BatchNorm's running statistics to leave their initial values, so the
    /// model's eval-mode output varies over the image instead of being one constant probability.</summary>
    public const int Epochs = 5;

    public TrainedExperimentFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "crackseg-eval-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Root);
        DataRoot = Path.Combine(Root, "data");
        var config = ConfigLoader.Load(null,
        [
            "experiment.name=evaltest", $"experiment.output_dir={Path.Combine(Root, "experiments")}", "experiment.seed=7",
            $"data.root={DataRoot}", "data.synthetic.enabled=true", "data.synthetic.count=16",
            $"data.synthetic.width={ImageWidth}", $"data.synthetic.height={ImageHeight}", "data.synthetic.seed=5",
            "data.splits=[0.5, 0.25, 0.25]", "data.image_size=32", $"data.max_pixels={MaxPixels}", "data.prefetch=1",
            "model.preset=nano",
            $"training.epochs={Epochs}", $"training.val_every={Epochs}", "training.batch_size=2", "training.device=cpu", "training.learning_rate=0.003", "training.loss.name=bce_dice", "training.loss.pos_weight=3",
            "training.checkpoint.every=1", "logging.tensorboard=false",
        ], new Dictionary<string, string>());
        TrainingOutcome outcome;
        try { outcome = new TrainingRun(RunLog.Silent, new LogLineProgress(RunLog.Silent, 10)).Run(new TrainingRequest(config), CancellationToken.None); }
        catch { Dispose(); throw; }
        ExperimentDir = outcome.ExperimentDir;
        Config = config;
        _evaluation = new(() => new Evaluator(RunLog.Silent).Run(new EvaluationOptions { Experiment = ExperimentDir, Overlays = 1 }));
    }

    /// <summary>`evaluate` on the fixture's experiment with default options and one best + one worst overlay, run once.</summary>
    public EvaluationOutcome Evaluation => _evaluation.Value;

    public string Root { get; }
    public string DataRoot { get; }
    public string ExperimentDir { get; }
    public CrackSegConfig Config { get; }

    /// <summary>A copy of the experiment folder (for tests that change or break it).</summary>
    public string CopyExperiment()
    {
        string target = Path.Combine(Root, "copy-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (string dir in Directory.EnumerateDirectories(ExperimentDir, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(target, Path.GetRelativePath(ExperimentDir, dir)));
        Directory.CreateDirectory(target);
        foreach (string file in Directory.EnumerateFiles(ExperimentDir, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(target, Path.GetRelativePath(ExperimentDir, file)));
        return target;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
