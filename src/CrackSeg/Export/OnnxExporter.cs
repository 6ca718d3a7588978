using System.Security.Cryptography;
using CrackSeg.Artifacts;
using CrackSeg.Common;
using CrackSeg.Evaluation;
using Google.Protobuf;

namespace CrackSeg.Export;

/// <summary>What `crackseg export` asks for.</summary>
public sealed record ExportOptions
{
    /// <summary>The experiment folder (config.yaml and its checkpoints).</summary>
    public required string Experiment { get; init; }
    /// <summary>best | last | a .pth path (as for evaluate and predict); null: best.</summary>
    public string? Checkpoint { get; init; }
    /// <summary>The fixed input side in pixels: a multiple of the model's window period.</summary>
    public int Size { get; init; } = 512;
    public int Opset { get; init; } = SupportedOpset;
    /// <summary>The model file; null: DIR/export/model.onnx. The manifest goes beside it as &lt;name&gt;.json.</summary>
    public string? Output { get; init; }

    /// <summary>
    /// The one opset the graph is written for: LayerNormalization needs 17, and opset 18 moved the reduction
    /// axes from attributes to inputs.
    /// </summary>
    public const int SupportedOpset = 17;
}

/// <summary>The files one export wrote.</summary>
public sealed record ExportResult(string ModelPath, string ManifestPath, ExportManifest Manifest, int Nodes, long Parameters, double Seconds);

/// <summary>
/// `crackseg export`: the experiment's model (restored from a checkpoint, on the CPU, eval mode) as
/// <c>model.onnx</c> (<see cref="ModelGraph"/>) plus <c>model.json</c> (<see cref="ExportManifest"/>), both written
/// atomically: the manifest and the model file appear together or not at all.
/// </summary>
public sealed class OnnxExporter(RunLog log)
{
    /// <exception cref="InputException">Missing folder, config or checkpoint; bad size or opset; unwritable output.</exception>
    public ExportResult Run(ExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Opset != ExportOptions.SupportedOpset)
            throw new InputException($"--opset: expected {ExportOptions.SupportedOpset} (LayerNormalization needs 17; opset 18 moved the reduction axes into inputs), got {options.Opset}");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var trained = TrainedModel.FromExperiment(options.Experiment, options.Checkpoint, "cpu", log);
        int period = TileGrid.WindowPeriod(trained.Model.Spec);
        if (options.Size < period || options.Size % period != 0)
            throw new InputException($"--size: expected a positive multiple of the model's window period, {period} px (preset {trained.Model.Spec.Preset}, " +
                $"windows fixed for data.image_size {trained.Model.Spec.ImageSize}), got {options.Size}");

        string modelPath = Path.GetFullPath(options.Output ?? Path.Combine(options.Experiment, "export", "model.onnx"));
        string manifestPath = Path.ChangeExtension(modelPath, ".json");
        if (string.Equals(modelPath, manifestPath, StringComparison.Ordinal))
            throw new InputException($"--output: '{modelPath}' would be overwritten by its own manifest; name the model file *.onnx");

        var manifest = ExportManifest.Describe(trained, options.Size, options.Opset, Sha256(trained.Checkpoint.Path), Path.GetFileName(modelPath));
        var graph = ModelGraph.Build(trained.Model, options.Size, options.Opset, manifest.Metadata());
        byte[] bytes = graph.ToByteArray();
        Write(modelPath, manifestPath, bytes, manifest);
        log.Info($"export: {modelPath} ({bytes.Length / 1e6:F1} MB, {graph.Graph.Node.Count} nodes, opset {options.Opset}, input [N, 3, {options.Size}, {options.Size}]) and {manifestPath}");
        long parameters = graph.Graph.Initializer.Sum(t => t.Dims.Aggregate(1L, (a, b) => a * b));
        return new ExportResult(modelPath, manifestPath, manifest, graph.Graph.Node.Count, parameters, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The manifest is renamed into place while the model's temp file exists; a failure removes both temps.</summary>
    private static void Write(string modelPath, string manifestPath, byte[] model, ExportManifest manifest)
    {
        try
        {
            AtomicFile.WriteVia(modelPath, temp =>
            {
                File.WriteAllBytes(temp, model);
                AtomicFile.WriteAllText(manifestPath, manifest.ToJson());
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException($"--output: cannot write '{modelPath}' ({e.Message})", e);
        }
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
