using CrackSeg.Config;

namespace CrackSeg.Tests.TestSupport;

/// <summary>
/// A few-second training configuration: the nano preset on 24 synthetic 64x64 images, in a temp
/// folder. Same architecture as the real presets, just small.
/// </summary>
public static class TinyRun
{
    public static string[] Overrides(string root, int epochs = 3, params string[] extra) =>
    [
        $"experiment.output_dir={Path.Combine(root, "experiments")}",
        "experiment.name=tiny",
        "experiment.seed=7",
        $"data.root={Path.Combine(root, "data")}",
        "data.synthetic.enabled=true",
        "data.synthetic.count=24",
        "data.synthetic.width=64",
        "data.synthetic.height=64",
        "data.image_size=64",
        "model.preset=nano",
        $"training.epochs={epochs}",
        "training.batch_size=4",
        "training.device=cpu",
        "training.learning_rate=0.003",
        "training.scheduler.warmup_epochs=1",
        "training.threads=1",
        "logging.log_every=2",
        .. extra,
    ];

    public static CrackSegConfig Config(string root, int epochs = 3, params string[] extra) =>
        ConfigLoader.Load(null, Overrides(root, epochs, extra), new Dictionary<string, string>());
}
