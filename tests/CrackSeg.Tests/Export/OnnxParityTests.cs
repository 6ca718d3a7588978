using CrackSeg.Config;
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
    public void OnnxRuntimeReproducesTorchSharp(string preset, int imageSize, int exportSize) =>
        AssertParity(new ModelConfig { Preset = preset }, preset, imageSize, exportSize, [1, 3]);

    /// <summary>
    /// A custom `model` section: window 4, no stem (×4 head), other widths and heads, and ASPP dilations whose
    /// taps are partly live at the 4×4 bottleneck of a 128 px export.
    /// </summary>
    [Fact]
    public void ACustomModelSectionExportsToo() =>
        AssertParity(new ModelConfig
        {
            Preset = "nano", EmbedDim = 24, NumHeads = [2, 2, 4, 8], WindowSize = 4, StemChannels = [], AsppDilations = [1, 2, 3, 5],
        }, "custom", 64, 128, [2]);

    /// <summary>The other presets (stem + deeper or wider encoders) at their smallest export size, batch 1.</summary>
    [Theory]
    [InlineData("tiny")]
    [InlineData("small")]
    [InlineData("base")]
    public void EveryOtherPresetExports(string preset) =>
        AssertParity(new ModelConfig { Preset = preset }, preset, 64, 64, [1]);

    private void AssertParity(ModelConfig config, string name, int imageSize, int exportSize, int[] batches)
    {
        using var scope = NewDisposeScope();
        using var model = ExportTestModels.Randomised(config, imageSize, seed: 11);
        string preset = name;
        string path = Path.Combine(Path.GetTempPath(), $"crackseg-parity-{preset}-{Guid.NewGuid():N}.onnx");
        try
        {
            File.WriteAllBytes(path, ModelGraph.Build(model, exportSize, 17, new Dictionary<string, string>()).ToByteArray());
            using var onnx = OnnxRuntimeModel.Open(path);
            Assert.Equal(exportSize, onnx.Size);
            foreach (int batch in batches)
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
