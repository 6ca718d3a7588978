using System.Globalization;
using CrackSeg.Common;
using CrackSeg.Export;
using Microsoft.ML.OnnxRuntime;

namespace CrackSeg.Evaluation;

/// <summary>
/// An exported <c>model.onnx</c> in ONNX Runtime (CPU): batches of [N, 3, S, S] RGB in [0, 1] in, logits and
/// probabilities [N, 1, S, S] out, as host float arrays. Checks on load that the file has the input and outputs
/// `crackseg export` writes. Owns the session; dispose it.
/// </summary>
public sealed class OnnxRuntimeModel : IDisposable
{
    private readonly InferenceSession _session;

    private OnnxRuntimeModel(InferenceSession session, string path, int size)
    {
        _session = session;
        Path = path;
        Size = size;
        var metadata = session.ModelMetadata.CustomMetadataMap;
        if (metadata.TryGetValue(ExportManifest.MetadataThreshold, out var t) && double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var threshold))
            Threshold = threshold;
        if (metadata.TryGetValue(ExportManifest.MetadataWindowPeriod, out var p) && int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out var period))
            WindowPeriod = period;
    }

    /// <summary>The model file.</summary>
    public string Path { get; }
    /// <summary>The fixed input side S in pixels.</summary>
    public int Size { get; }
    /// <summary>metrics.threshold of the exported experiment (the file's metadata), when recorded.</summary>
    public double? Threshold { get; }
    /// <summary>The encoder's window period in pixels (the file's metadata), when recorded.</summary>
    public int? WindowPeriod { get; }

    /// <summary>Opens <paramref name="path"/>; <paramref name="threads"/> &gt; 0 sets ONNX Runtime's intra-op threads.</summary>
    /// <exception cref="InputException">Missing or unreadable file, or not a CrackSeg export (input/output names and shapes).</exception>
    public static OnnxRuntimeModel Open(string path, int threads = 0)
    {
        if (!File.Exists(path)) throw new InputException($"--model: '{path}' does not exist (expected a model.onnx written by `crackseg export`)");
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (threads > 0) options.IntraOpNumThreads = threads;
        InferenceSession session;
        try { session = new InferenceSession(path, options); }
        catch (OnnxRuntimeException e)
        {
            throw new InputException($"--model: '{path}' is not a loadable ONNX model ({e.Message})", e);
        }
        try
        {
            return new OnnxRuntimeModel(session, System.IO.Path.GetFullPath(path), InputSize(session, path));
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Logits and probabilities ([N·S·S] each, row-major) of <paramref name="batch"/> images ([N·3·S·S] RGB in [0, 1]).</summary>
    public (float[] Logits, float[] Probabilities) Run(float[] rgb01, int batch)
    {
        long[] shape = [batch, 3, Size, Size];
        if (rgb01.Length != batch * 3L * Size * Size)
            throw new ArgumentException($"expected {batch}x3x{Size}x{Size} values, got {rgb01.Length}", nameof(rgb01));
        using var input = OrtValue.CreateTensorValueFromMemory(rgb01, shape);
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, [ModelGraph.InputName], [input], [ModelGraph.LogitsName, ModelGraph.ProbabilityName]);
        return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[1].GetTensorDataAsSpan<float>().ToArray());
    }

    private static int InputSize(InferenceSession session, string path)
    {
        string Expected() => $"model '{path}': expected the input '{ModelGraph.InputName}' float32 [N, 3, S, S] and the outputs '{ModelGraph.ProbabilityName}', '{ModelGraph.LogitsName}' (a file written by `crackseg export`)";
        if (!session.InputMetadata.TryGetValue(ModelGraph.InputName, out var input) || session.InputMetadata.Count != 1)
            throw new InputException(Expected());
        var dims = input.Dimensions;
        if (input.ElementType != typeof(float) || dims.Length != 4 || dims[1] != 3 || dims[2] <= 0 || dims[2] != dims[3])
            throw new InputException(Expected());
        if (!session.OutputMetadata.ContainsKey(ModelGraph.ProbabilityName) || !session.OutputMetadata.ContainsKey(ModelGraph.LogitsName))
            throw new InputException(Expected());
        return dims[2];
    }

    public void Dispose() => _session.Dispose();
}
