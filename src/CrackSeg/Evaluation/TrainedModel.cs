using CrackSeg.Artifacts;
using CrackSeg.Common;
using CrackSeg.Common.Precision;
using CrackSeg.Config;
using CrackSeg.Models;
using CrackSeg.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Evaluation;

/// <summary>
/// A model re-created from its config and restored from a checkpoint, in eval mode on its device: what
/// `evaluate` and `predict` run. Owns the model; dispose it.
/// </summary>
public sealed class TrainedModel : IDisposable
{
    private TrainedModel(CrackSegConfig config, SwinV2CnnAsppUNet model, Device device, CheckpointInfo checkpoint, PrecisionMode precision)
    {
        Config = config;
        Model = model;
        Device = device;
        Checkpoint = checkpoint;
        Precision = precision;
        Inference = new AutocastInference(model, precision, device);
    }

    /// <summary>The config the model was built from (the experiment's config.yaml, or the one given).</summary>
    public CrackSegConfig Config { get; }
    public SwinV2CnnAsppUNet Model { get; }
    public Device Device { get; }
    public CheckpointInfo Checkpoint { get; }
    /// <summary>The precision inference runs in: <c>--precision</c>, else the run's <c>training.precision</c>, so evaluate reproduces validation.</summary>
    public PrecisionMode Precision { get; }
    /// <summary>The model as evaluate and predict call it: forward under <see cref="Precision"/>'s autocast, float32 logits out.</summary>
    public nn.Module<Tensor, Tensor> Inference { get; }

    /// <summary>
    /// The model of an experiment folder: DIR/config.yaml, and the checkpoint <paramref name="checkpoint"/> =
    /// "best" (default: best_model.pth), "last" (the newest checkpoints/epoch_N.pth) or a file path.
    /// </summary>
    /// <param name="device">cpu, cuda, cuda:N or auto; null: the config's training.device.</param>
    /// <exception cref="InputException">Missing folder, config or checkpoint; a checkpoint that does not fit the config.</exception>
    /// <param name="precision">fp32 | tf32 | bf16 | fp16; null: the config's training.precision.</param>
    public static TrainedModel FromExperiment(string experimentDir, string? checkpoint, string? device, RunLog log, string? precision = null)
    {
        var folder = ExperimentFolder.Open(experimentDir);
        var config = ReadExperimentConfig(folder);
        var (path, choice) = ResolveCheckpoint(folder, checkpoint);
        return Create(config, path, choice, device, log, precision);
    }

    /// <summary>
    /// The model of a loose checkpoint file (<c>predict --checkpoint PATH --config FILE</c>). Without a config,
    /// the YAML a CrackSeg checkpoint embeds is used; Python checkpoints need <paramref name="configPath"/>.
    /// </summary>
    /// <exception cref="InputException">Missing files, no config available, or a checkpoint that does not fit the config.</exception>
    public static TrainedModel FromCheckpoint(string checkpointPath, string? configPath, string? device, RunLog log, string? precision = null)
    {
        if (!File.Exists(checkpointPath)) throw new InputException($"checkpoint '{checkpointPath}' does not exist");
        CrackSegConfig config;
        if (configPath is not null)
        {
            if (!File.Exists(configPath)) throw new InputException($"config file '{configPath}' does not exist");
            config = ConfigLoader.LoadSaved(configPath);
        }
        else
        {
            string yaml = ModelCheckpoint.EmbeddedConfigYaml(checkpointPath)
                ?? throw new InputException($"checkpoint '{checkpointPath}' carries no config (a Python or bare state_dict checkpoint): pass --config FILE with the model's config");
            config = LoadYaml(yaml, checkpointPath);
        }
        return Create(config, checkpointPath, "path", device, log, precision);
    }

    /// <summary>Builds the model of <paramref name="config"/> and restores <paramref name="checkpointPath"/> into it.</summary>
    /// <param name="weights">"model" (the checkpoint's model state dict) or "ema" (its ema_state_dict).</param>
    public static TrainedModel Create(CrackSegConfig config, string checkpointPath, string choice, string? device, RunLog log, string? precision = null,
        string weights = ModelCheckpoint.ModelWeights)
    {
        var resolvedDevice = DeviceSelector.Resolve(device ?? config.Training.Device);
        var mode = precision is null
            ? PrecisionMode.Activate(config.Training.Precision, "training.precision", resolvedDevice)
            : PrecisionMode.Activate(precision, "--precision", resolvedDevice);
        if (config.Training.Threads > 0) set_num_threads(config.Training.Threads);
        // Every weight comes from the checkpoint: no pretrained encoder file is needed (nor read) here.
        var spec = ModelSpec.Resolve(config.Model, config.Data.ImageSize) with { PretrainedEncoder = null };
        var model = ModelFactory.Create(spec);
        try
        {
            model.to(resolvedDevice);
            var info = ModelCheckpoint.Restore(model, checkpointPath, choice, log, weights);
            model.eval();
            log.Info($"model {spec.Preset} restored from {info.Path} ({info.KindName}{(info.Epoch is int e ? $", epoch {e}" : "")}, {info.Weights} weights) on {DeviceSelector.Describe(resolvedDevice)}, {mode.Name}");
            return new TrainedModel(config, model, resolvedDevice, info, mode);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>DIR/config.yaml as the run saved it.</summary>
    public static CrackSegConfig ReadExperimentConfig(ExperimentFolder folder)
    {
        if (!File.Exists(folder.ConfigYaml))
            throw new InputException($"experiment folder '{folder.Root}' has no config.yaml (expected {folder.ConfigYaml}, written by `crackseg train`)");
        return ConfigLoader.LoadSaved(folder.ConfigYaml);
    }

    /// <summary>The file behind "best", "last" (newest epoch checkpoint) or a path; null means "best".</summary>
    public static (string Path, string Choice) ResolveCheckpoint(ExperimentFolder folder, string? checkpoint)
    {
        switch (checkpoint ?? "best")
        {
            case "best":
                foreach (string candidate in new[] { folder.BestModel, folder.CheckpointBestModel })
                    if (File.Exists(candidate)) return (candidate, "best");
                throw new InputException($"experiment folder '{folder.Root}' has no best_model.pth (no validated epoch improved yet?); use --checkpoint last or a file");
            case "last":
                var epochs = folder.EpochCheckpoints();
                if (epochs.Count == 0)
                    throw new InputException($"experiment folder '{folder.Root}' has no checkpoints/epoch_N.pth; use --checkpoint best or a file");
                return (epochs[^1].Path, "last");
            case var path:
                if (!File.Exists(path)) throw new InputException($"checkpoint '{path}' does not exist (expected best, last or a .pth file)");
                return (Path.GetFullPath(path), "path");
        }
    }

    private static CrackSegConfig LoadYaml(string yaml, string source)
    {
        string temp = Path.Combine(Path.GetTempPath(), $"crackseg-config-{Environment.ProcessId}-{Guid.NewGuid():N}.yaml");
        try
        {
            File.WriteAllText(temp, yaml);
            return ConfigLoader.LoadSaved(temp);
        }
        catch (ConfigException e)
        {
            throw new InputException($"checkpoint '{source}': its embedded config_yaml is invalid: {e.Message}", e);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public void Dispose() => Model.Dispose();
}
