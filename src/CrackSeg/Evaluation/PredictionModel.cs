using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Evaluation;

/// <summary>Which engine runs the model in predict and evaluate.</summary>
public enum InferenceBackend
{
    /// <summary>The TorchSharp model restored from a checkpoint.</summary>
    Torch,
    /// <summary>An exported model.onnx in ONNX Runtime.</summary>
    Onnx,
}

/// <summary>
/// What <see cref="Predictor"/> needs of a model, whichever backend runs it: a module returning N×1×H×W logits
/// for normalised tiles, its device, the default threshold, the largest image it accepts, the encoder's window
/// period, and the only tile size it takes (ONNX: the export size; TorchSharp: any multiple of 32). Owns what it
/// opened (an ONNX session); a <see cref="TrainedModel"/> stays its caller's to dispose.
/// </summary>
public sealed class PredictionModel : IDisposable
{
    private readonly IDisposable? _owned;

    private PredictionModel(nn.Module<Tensor, Tensor> network, Device device, double threshold, long maxPixels, int windowPeriod,
        int? fixedTile, string description, IDisposable? owned)
    {
        Network = network;
        Device = device;
        Threshold = threshold;
        MaxPixels = maxPixels;
        WindowPeriod = windowPeriod;
        FixedTile = fixedTile;
        Description = description;
        _owned = owned;
    }

    public nn.Module<Tensor, Tensor> Network { get; }
    public Device Device { get; }
    public double Threshold { get; }
    public long MaxPixels { get; }
    public int WindowPeriod { get; }
    /// <summary>The tile side every forward pass must use (null: any multiple of 32).</summary>
    public int? FixedTile { get; }
    public string Description { get; }

    /// <summary>The TorchSharp model of an experiment or checkpoint.</summary>
    public static PredictionModel FromTrained(TrainedModel trained) =>
        new(trained.Model, trained.Device, trained.Config.Metrics.Threshold, trained.Config.Data.MaxPixels,
            TileGrid.WindowPeriod(trained.Model.Spec), null, $"torch ({trained.Checkpoint.Path})", null);

    /// <summary>
    /// An exported model in ONNX Runtime on the CPU: threshold and window period from the file's metadata
    /// (written by `crackseg export`), <paramref name="maxPixels"/> from the experiment's config or the default.
    /// </summary>
    /// <exception cref="InputException">Missing file, not loadable, or not a CrackSeg export.</exception>
    public static PredictionModel FromOnnx(string path, long? maxPixels = null, int threads = 0)
    {
        var onnx = OnnxRuntimeModel.Open(path, threads);
        try
        {
            var network = new OnnxTileNetwork(onnx);
            return new PredictionModel(network, CPU, onnx.Threshold ?? new MetricsConfig().Threshold, maxPixels ?? new DataConfig().MaxPixels,
                onnx.WindowPeriod ?? 32, onnx.Size, $"onnx ({onnx.Path})", onnx);
        }
        catch
        {
            onnx.Dispose();
            throw;
        }
    }

    /// <summary>The exported model of an experiment: DIR/export/model.onnx.</summary>
    /// <exception cref="InputException">The experiment has not been exported.</exception>
    public static string ExportedModelPath(string experimentDir)
    {
        string path = Path.Combine(experimentDir, "export", "model.onnx");
        if (!File.Exists(path))
            throw new InputException($"--backend onnx: '{path}' does not exist; run `crackseg export --experiment {experimentDir}` first, or pass --model FILE.onnx");
        return path;
    }

    public void Dispose() => _owned?.Dispose();
}
