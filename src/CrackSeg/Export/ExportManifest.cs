using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using CrackSeg.Artifacts;
using CrackSeg.Common;
using CrackSeg.Data;
using CrackSeg.Evaluation;

namespace CrackSeg.Export;

/// <summary>
/// <c>model.json</c> beside an exported <c>model.onnx</c> (format <see cref="FormatName"/>): everything an
/// application needs to feed the graph and read its outputs, and where the weights came from. The same facts
/// travel inside the ONNX file as metadata_props (<see cref="Metadata"/>), so the model file alone suffices.
/// </summary>
public sealed record ExportManifest
{
    public const string FormatName = "crackseg-onnx/1";

    [JsonPropertyName("format")] public string Format { get; init; } = FormatName;
    [JsonPropertyName("model_file")] public required string ModelFile { get; init; }
    [JsonPropertyName("input_name")] public string InputName { get; init; } = ModelGraph.InputName;
    /// <summary>[N, 3, S, S]: N is dynamic (written as "N").</summary>
    [JsonPropertyName("input_shape")] public required object[] InputShape { get; init; }
    [JsonPropertyName("input_size")] public required int InputSize { get; init; }
    [JsonPropertyName("layout")] public string Layout { get; init; } = "NCHW";
    [JsonPropertyName("channel_order")] public string ChannelOrder { get; init; } = "RGB";
    [JsonPropertyName("dtype")] public string DType { get; init; } = "float32";
    [JsonPropertyName("value_range")] public double[] ValueRange { get; init; } = [0.0, 1.0];
    /// <summary>The normalisation the graph applies first: (x − mean) / std per channel.</summary>
    [JsonPropertyName("normalisation")] public required NormalisationInfo Normalisation { get; init; }
    [JsonPropertyName("outputs")] public required OutputInfo[] Outputs { get; init; }
    /// <summary>metrics.threshold of the experiment: the default cut of <c>probability</c> into a mask.</summary>
    [JsonPropertyName("threshold")] public required double Threshold { get; init; }
    /// <summary>Tile origins that are multiples of this keep the encoder's window partition (see TileGrid).</summary>
    [JsonPropertyName("window_period")] public required int WindowPeriod { get; init; }
    [JsonPropertyName("opset")] public required int Opset { get; init; }
    [JsonPropertyName("ir_version")] public int IrVersion { get; init; } = OnnxGraph.IrVersion;
    [JsonPropertyName("preset")] public required string Preset { get; init; }
    [JsonPropertyName("training_image_size")] public required int TrainingImageSize { get; init; }
    [JsonPropertyName("source_checkpoint")] public required string SourceCheckpoint { get; init; }
    [JsonPropertyName("source_checkpoint_sha256")] public required string SourceCheckpointSha256 { get; init; }
    [JsonPropertyName("source_checkpoint_epoch")] public int? SourceCheckpointEpoch { get; init; }
    [JsonPropertyName("crackseg_version")] public required string CrackSegVersion { get; init; }
    [JsonPropertyName("exported_at")] public required string ExportedAt { get; init; }

    public sealed record NormalisationInfo(
        [property: JsonPropertyName("mean")] float[] Mean,
        [property: JsonPropertyName("std")] float[] Std,
        [property: JsonPropertyName("in_graph")] bool InGraph);

    public sealed record OutputInfo(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("shape")] object[] Shape,
        [property: JsonPropertyName("meaning")] string Meaning);

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    /// <summary>The manifest of <paramref name="trained"/> exported at <paramref name="size"/>.</summary>
    public static ExportManifest Describe(TrainedModel trained, int size, int opset, string checkpointSha256, string modelFile)
    {
        object[] shape = [ModelGraph.BatchSymbol, 1, size, size];
        return new ExportManifest
        {
            ModelFile = modelFile,
            InputShape = [ModelGraph.BatchSymbol, 3, size, size],
            InputSize = size,
            Normalisation = new NormalisationInfo(DeviceAugment.Mean, DeviceAugment.Std, true),
            Outputs =
            [
                new OutputInfo(ModelGraph.ProbabilityName, shape, "crack probability, sigmoid(logits)"),
                new OutputInfo(ModelGraph.LogitsName, shape, "crack logits"),
            ],
            Threshold = trained.Config.Metrics.Threshold,
            WindowPeriod = TileGrid.WindowPeriod(trained.Model.Spec),
            Opset = opset,
            Preset = trained.Model.Spec.Preset,
            TrainingImageSize = trained.Model.Spec.ImageSize,
            SourceCheckpoint = trained.Checkpoint.Path,
            SourceCheckpointSha256 = checkpointSha256,
            SourceCheckpointEpoch = trained.Checkpoint.Epoch,
            CrackSegVersion = FrameworkVersions.CrackSeg,
            ExportedAt = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        };
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json) + "\n";

    /// <summary>The facts a predictor needs, as ONNX metadata_props (string pairs; <see cref="MetadataThreshold"/> etc.).</summary>
    public IReadOnlyDictionary<string, string> Metadata() => new Dictionary<string, string>
    {
        ["crackseg.format"] = Format,
        [MetadataThreshold] = Threshold.ToString("R", CultureInfo.InvariantCulture),
        [MetadataWindowPeriod] = WindowPeriod.ToString(CultureInfo.InvariantCulture),
        ["crackseg.preset"] = Preset,
        ["crackseg.source_checkpoint_sha256"] = SourceCheckpointSha256,
        ["crackseg.version"] = CrackSegVersion,
    };

    public const string MetadataThreshold = "crackseg.threshold";
    public const string MetadataWindowPeriod = "crackseg.window_period";

    /// <summary>Reads a manifest (tests, tools).</summary>
    /// <exception cref="InputException">Missing file or not a <see cref="FormatName"/> document.</exception>
    public static JsonElement Read(string path)
    {
        if (!File.Exists(path)) throw new InputException($"manifest '{path}' does not exist");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var root = document.RootElement.Clone();
        if (!root.TryGetProperty("format", out var format) || format.GetString() != FormatName)
            throw new InputException($"manifest '{path}': expected \"format\": \"{FormatName}\"");
        return root;
    }
}
