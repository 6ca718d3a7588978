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
    private readonly Lazy<nn.Module<Tensor, Tensor>> _network;
    private readonly Func<Device> _device;
    private readonly IDisposable? _owned;

    private PredictionModel(Func<nn.Module<Tensor, Tensor>> network, Func<Device> device, double threshold, long maxPixels, int windowPeriod,
        OnnxRuntimeModel? onnx, string description, IDisposable? owned)
    {
        _network = new Lazy<nn.Module<Tensor, Tensor>>(network);
        _device = device;
        Threshold = threshold;
        MaxPixels = maxPixels;
        WindowPeriod = windowPeriod;
        Onnx = onnx;
        Description = description;
        _owned = owned;
    }

    /// <summary>The model as a TorchSharp module (for ONNX, made on first use: the ONNX predict path never needs it).</summary>
    public nn.Module<Tensor, Tensor> Network => _network.Value;
    public Device Device => _device();
    public double Threshold { get; }
    public long MaxPixels { get; }
    public int WindowPeriod { get; }
    /// <summary>The exported model in ONNX Runtime (null: the TorchSharp backend).</summary>
    public OnnxRuntimeModel? Onnx { get; }
    /// <summary>The tile side every forward pass must use (null: any multiple of 32).</summary>
    public int? FixedTile => Onnx?.Size;
    public string Description { get; }

    /// <summary>The TorchSharp model of an experiment or checkpoint.</summary>
    public static PredictionModel FromTrained(TrainedModel trained) =>
        new(() => trained.Inference, () => trained.Device, trained.Config.Metrics.Threshold, trained.Config.Data.MaxPixels,
            TileGrid.WindowPeriod(trained.Model.Spec), null, $"torch ({trained.Checkpoint.Path})", null);

    /// <summary>
    /// An exported model in ONNX Runtime on the CPU: threshold and window period from the file's metadata
    /// (written by `crackseg export`), <paramref name="maxPixels"/> from the experiment's config or the default.
    /// Nothing here touches LibTorch until <see cref="Network"/> or <see cref="Device"/> is used.
    /// </summary>
    /// <exception cref="InputException">Missing file, not loadable, or not a CrackSeg export.</exception>
    public static PredictionModel FromOnnx(string path, long? maxPixels = null, int threads = 0)
    {
        var onnx = OnnxRuntimeModel.Open(path, threads);
        return new PredictionModel(() => new OnnxTileNetwork(onnx), () => CPU, onnx.Threshold ?? new MetricsConfig().Threshold,
            maxPixels ?? new DataConfig().MaxPixels, onnx.WindowPeriod ?? 32, onnx, $"onnx ({onnx.Path})", onnx);
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

    public void Dispose()
    {
        if (_network.IsValueCreated && Onnx is not null) _network.Value.Dispose();
        _owned?.Dispose();
    }
}
