using CrackSeg.Evaluation;
using CrackSeg.Export;
using Google.Protobuf;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Export;

/// <summary>
/// The exported graph in ONNX Runtime against the TorchSharp model it came from (random weights, random
/// images): probabilities within 1e-4 (max abs) at batch 1 and 3, for the nano preset (CNN stem, stride-1
/// head) and the seed preset (no stem, ×4 bilinear head).
/// </summary>
public class OnnxParityTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    [Theory]
    [InlineData("nano", 128, 256)]
    [InlineData("seed", 256, 256)]
    public void OnnxRuntimeReproducesTorchSharp(string preset, int imageSize, int exportSize)
    {
        using var scope = NewDisposeScope();
        using var model = ExportTestModels.Randomised(preset, imageSize, seed: 11);
        string path = Path.Combine(Path.GetTempPath(), $"crackseg-parity-{preset}-{Guid.NewGuid():N}.onnx");
        try
        {
            File.WriteAllBytes(path, ModelGraph.Build(model, exportSize, 17, new Dictionary<string, string>()).ToByteArray());
            using var onnx = OnnxRuntimeModel.Open(path);
            Assert.Equal(exportSize, onnx.Size);
            foreach (int batch in new[] { 1, 3 })
            {
                var images = ExportTestModels.Images(batch, exportSize, seed: 100 + batch);
                Tensor logits;
                using (no_grad()) logits = model.call(ExportTestModels.Normalise(images));
                var (onnxLogits, onnxProbabilities) = onnx.Run(images.data<float>().ToArray(), batch);
                var probabilityError = (tensor(onnxProbabilities).view(logits.shape) - logits.sigmoid()).abs().max().item<float>();
                var logitError = (tensor(onnxLogits).view(logits.shape) - logits).abs().max().item<float>();
                var spread = logits.sigmoid().std().item<float>();
                output.WriteLine($"{preset} size {exportSize} batch {batch}: max |Δp| = {probabilityError:E2}, max |Δlogit| = {logitError:E2}, std(p) = {spread:F4}, logits in [{logits.min().item<float>():F2}, {logits.max().item<float>():F2}]");
                Assert.True(spread > 0.02, "the probabilities barely vary: the comparison would not show a broken graph");
                Assert.True(probabilityError <= Tolerance, $"{preset} batch {batch}: max |Δp| {probabilityError:E2} > {Tolerance:E0}");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
