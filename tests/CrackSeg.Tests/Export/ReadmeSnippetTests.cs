using CrackSeg.Export;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using CrackSeg.Tests.TestSupport;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Export;

/// <summary>
/// The README's "Deploy with ONNX" C# snippet on an exported nano model: the code between the markers is the
/// README's, line for line, except the model path and the line that fills the image (checked against README.md).
/// </summary>
public class ReadmeSnippetTests
{
    [Fact]
    public void TheReadmeSnippetRunsAnExportedModel()
    {
        using var temp = new TempDir();
        using var model = ExportTestModels.Randomised("nano", 64, seed: 3);
        var metadata = new Dictionary<string, string> { [ExportManifest.MetadataThreshold] = "0.5" };
        File.WriteAllBytes(Path.Combine(temp.Path, "model.onnx"), ModelGraph.Build(model, 64, 17, metadata).ToByteArray());
        var mask = Snippet(Path.Combine(temp.Path, "model.onnx"));
        Assert.Equal(64 * 64, mask.Length);

        // The same image through TorchSharp: a grey image (all 0.5) thresholded at 0.5.
        using var scope = NewDisposeScope();
        Tensor probabilities;
        using (no_grad()) probabilities = model.call(ExportTestModels.Normalise(full(1, 3, 64, 64, 0.5f))).sigmoid().flatten();
        var expected = probabilities.data<float>().ToArray();
        int disagreements = expected.Where((p, i) => Math.Abs(p - 0.5) > 1e-4 && (p >= 0.5) != mask[i]).Count();
        Assert.Equal(0, disagreements);
    }

    [Fact]
    public void TheSnippetHereIsTheReadmeSnippet()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CrackSeg.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var readme = File.ReadAllLines(Path.Combine(dir.FullName, "README.md")).Select(l => l.Trim()).ToHashSet(StringComparer.Ordinal);
        var source = File.ReadAllLines(Path.Combine(dir.FullName, "tests", "CrackSeg.Tests", "Export", "ReadmeSnippetTests.cs")).Select(l => l.Trim()).ToList();
        int begin = source.IndexOf("// README snippet begin"), end = source.IndexOf("// README snippet end");
        var lines = source.Skip(begin + 1).Take(end - begin - 1)
            .Where(l => !l.StartsWith("using var session", StringComparison.Ordinal) && !l.StartsWith("Array.Fill", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count >= 9);
        Assert.All(lines, l => Assert.Contains(l, readme));
        Assert.Contains("using var session = new InferenceSession(\"model.onnx\");", readme);
    }

    private static bool[] Snippet(string modelPath)
    {
        // README snippet begin
        using var session = new InferenceSession(modelPath);
        int s = session.InputMetadata["image"].Dimensions[2];            // the export --size
        var rgb = new float[3 * s * s];                                  // planar RGB in [0, 1]: rgb[c·s·s + y·s + x]
        Array.Fill(rgb, 0.5f);
        using var input = OrtValue.CreateTensorValueFromMemory(rgb, new long[] { 1, 3, s, s });
        using var outputs = session.Run(new RunOptions(), new[] { "image" }, new[] { input }, new[] { "probability" });
        ReadOnlySpan<float> probability = outputs[0].GetTensorDataAsSpan<float>();   // [1, 1, s, s]
        float threshold = float.Parse(session.ModelMetadata.CustomMetadataMap["crackseg.threshold"],
            System.Globalization.CultureInfo.InvariantCulture);
        var crack = new bool[s * s];                                     // crack[y·s + x]
        for (int i = 0; i < crack.Length; i++) crack[i] = probability[i] >= threshold;
        // README snippet end
        return crack;
    }
}
