using System.Globalization;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CrackSeg.Tests.Reporting;

/// <summary>
/// Writes an experiment folder by hand, file by file as the experiment-data-saving guide and the
/// saver issue describe them (not through the saver), so the reader is tested against the contract.
/// </summary>
internal sealed class FakeExperiment : IDisposable
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public FakeExperiment(string name = "swinv2_hybrid_256", int epochs = 6, int plannedEpochs = 10, int bestEpoch = 5,
        string gpuName = "NVIDIA H100 80GB HBM3", bool evaluation = true, double quality = 1.0, string? root = null)
    {
        Root = root ?? Path.Combine(Path.GetTempPath(), "crackseg-report-tests", Guid.NewGuid().ToString("N"));
        Dir = Path.Combine(Root, $"20250114-103000-{name}");
        Name = name;
        Epochs = epochs;
        BestEpoch = bestEpoch;
        Directory.CreateDirectory(Path.Combine(Dir, "metrics"));
        Directory.CreateDirectory(Path.Combine(Dir, "logs"));
        WriteEpochs(quality);
        WriteSummary(plannedEpochs, gpuName, quality);
        WriteValidation(quality);
        Write("final_results.yaml", string.Join('\n', FinalMetrics(quality).Select(kv => $"{kv.Key}: {F(kv.Value)}")) + "\n");
        Write("config.yaml", Config(name, plannedEpochs));
        Write("logs/training.log",
            "2025-01-14 10:30:00 INFO  config: configs/swinv2_hybrid_256.yaml\n" +
            "2025-01-14 10:30:02 INFO  device cuda:0 (NVIDIA H100 80GB HBM3)\n" +
            "2025-01-14 10:31:10 WARN  data: skipped unreadable image 'img_017.png'\n" +
            string.Concat(Enumerable.Range(1, epochs).Select(e => $"2025-01-14 10:3{e}:00 INFO  epoch {e}/{plannedEpochs} train_loss {F(TrainLoss(e))}\n")));
        if (evaluation) WriteEvaluation(quality);
    }

    public string Root { get; }
    public string Dir { get; }
    public string Name { get; }
    public int Epochs { get; }
    public int BestEpoch { get; }

    public static double TrainLoss(int e) => 0.62 * Math.Pow(0.85, e - 1);
    public static double ValLoss(int e, double q = 1.0) => (0.55 * Math.Pow(0.88, e - 1) + 0.01 * e) / q;
    public static double ValIou(int e, double q) => q * (0.30 + 0.08 * e - 0.004 * e * e);
    public double BestIou(double q = 1.0) => ValIou(BestEpoch, q);

    public void Write(string relative, string text)
    {
        string path = Path.Combine(Dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text, new UTF8Encoding(false));
    }

    public void Delete(string relative) => File.Delete(Path.Combine(Dir, relative));

    private static string F(double v) => v.ToString("R", Inv);

    private IEnumerable<KeyValuePair<string, double>> FinalMetrics(double q) => Metrics(Epochs, q, "val_");

    private static IEnumerable<KeyValuePair<string, double>> Metrics(int e, double q, string prefix)
    {
        double iou = ValIou(e, q);
        double f1 = 2 * iou / (1 + iou);
        yield return new(prefix + "precision", Math.Min(0.99, f1 + 0.03));
        yield return new(prefix + "recall", f1 - 0.02);
        yield return new(prefix + "f1", f1);
        yield return new(prefix + "iou", iou);
        yield return new(prefix + "dice", f1);
        yield return new(prefix + "accuracy", 0.95 + 0.003 * e);
        yield return new(prefix + "loss", ValLoss(e, q));
    }

    private static string Obj(IEnumerable<KeyValuePair<string, double>> kv, int indent) =>
        "{\n" + string.Join(",\n", kv.Select(p => $"{new string(' ', indent + 2)}\"{p.Key}\": {F(p.Value)}")) + "\n" + new string(' ', indent) + "}";

    private void WriteEpochs(double q)
    {
        var sb = new StringBuilder();
        for (int e = 1; e <= Epochs; e++)
        {
            var m = Metrics(e, q, "val_").ToDictionary(k => k.Key, k => k.Value);
            double lr = 1e-6 + 0.5 * (1e-4 - 1e-6) * (1 + Math.Cos(Math.PI * (e - 1) / 10));
            sb.Append($"{{\"epoch\": {e}, \"train_loss\": {F(TrainLoss(e))}, \"val_loss\": {F(m["val_loss"])}, \"val_iou\": {F(m["val_iou"])}, " +
                      $"\"val_f1\": {F(m["val_f1"])}, \"val_precision\": {F(m["val_precision"])}, \"val_recall\": {F(m["val_recall"])}, " +
                      $"\"val_dice\": {F(m["val_dice"])}, \"val_accuracy\": {F(m["val_accuracy"])}, \"timestamp\": \"2025-01-14T10:3{e}:00+01:00\", " +
                      $"\"lr\": {F(lr)}, \"grad_norm\": {F(2.5 / e)}, \"epoch_time_s\": {F(61.5 + e)}, \"samples_per_s\": {F(38.25 - e * 0.1)}}}\n");
        }
        Write("metrics/metrics.jsonl", sb.ToString());
    }

    private void WriteSummary(int planned, string gpuName, double q)
    {
        Write("metrics/complete_summary.json", $$"""
            {
              "experiment_name": "{{Name}}",
              "project_name": "crack-segmentation",
              "model_type": "crackseg.model.SwinV2CnnAsppUNet",
              "dataset": "data/crackforest",
              "training_epochs": {{planned}},
              "batch_size": 4,
              "learning_rate": 0.0001,
              "final_metrics": {{Obj(FinalMetrics(q), 2)}},
              "best_epoch": {{BestEpoch}},
              "total_training_time": {{F(Epochs * 64.25)}},
              "timestamp": "2025-01-14T10:30:00+01:00",
              "hardware_info": {
                "device": "cuda",
                "cuda_available": true,
                "gpu_name": "{{gpuName}}",
                "gpu_memory_total_mb": 81559
              },
              "epochs_completed": {{Epochs}},
              "seed": 42,
              "model_preset": "seed",
              "num_parameters": 27612345,
              "framework_versions": {"dotnet": "10.0.0", "torchsharp": "0.107.0", "libtorch": "2.10.0"}
            }
            """);
    }

    private void WriteValidation(double q) =>
        Write("metrics/validation_metrics.json",
            "{\n  \"final_validation\": " + Obj(FinalMetrics(q), 2) + ",\n  \"best_validation\": " +
            Obj(new[] { new KeyValuePair<string, double>("epoch", BestEpoch) }.Concat(Metrics(BestEpoch, q, "")), 2) + "\n}\n");

    private static string Config(string name, int epochs) => $"""
        experiment:
          name: {name}
          project_name: crack-segmentation
          output_dir: artifacts/experiments
          seed: 42
        data:
          root: data/crackforest
          splits: [0.7, 0.15, 0.15]
          image_size: 256
          fit: random_crop
        model:
          preset: seed
        training:
          epochs: {epochs}
          batch_size: 4
          device: auto
          optimizer: adamw
          learning_rate: 0.0001
          weight_decay: 0.01
          loss:
            name: focal_dice
          scheduler:
            name: cosine
            warmup_epochs: 0
          precision: bf16
        metrics:
          threshold: 0.5
          histogram_bins: 256
        """;

    private void WriteEvaluation(double q)
    {
        var sweep = string.Join(",\n", Enumerable.Range(1, 99).Select(i =>
        {
            double t = i / 100.0, p = 0.5 + 0.45 * t, r = 0.95 - 0.6 * t * t;
            return $"    {{\"threshold\": {F(t)}, \"precision\": {F(p * q)}, \"recall\": {F(r)}, \"f1\": {F(2 * p * q * r / (p * q + r))}}}";
        }));
        Write("evaluation/metrics.json", $$"""
            {
              "split": "test",
              "checkpoint": "best",
              "num_images": 12,
              "threshold": 0.5,
              "dataset": {"iou": {{F(0.6512 * q)}}, "dice": 0.7888, "f1": 0.7888, "precision": 0.8011, "recall": 0.7769, "accuracy": 0.9861},
              "per_image_mean": {"iou": 0.6301, "dice": 0.7702, "f1": 0.7702, "precision": 0.7905, "recall": 0.7611, "accuracy": 0.9855},
              "ods": {"f1": {{F(0.8123 * q)}}, "threshold": 0.42},
              "ois": {"f1": {{F(0.8345 * q)}}},
              "ap": {{F(0.8567 * q)}},
              "f1_tolerance_2px": 0.8712,
              "cldice": 0.8011,
              "thresholds": [
            {{sweep}}
              ]
            }
            """);
        var csv = new StringBuilder("stem,iou,f1,precision,recall,crack_ratio\n");
        for (int i = 0; i < 12; i++)
        {
            double iou = 0.35 + 0.05 * i;
            csv.Append(Inv, $"img_{i:000},{F(iou)},{F(2 * iou / (1 + iou))},{F(0.8)},{F(0.7)},{F(0.02 + 0.001 * i)}\n");
        }
        csv.Append("\"tile, with comma <b>\",0.5,0.6667,0.7,0.6,0.03\n");
        Write("evaluation/per_image.csv", csv.ToString());
        Write("metrics/test_metrics.json", """{"test_iou": 0.6512, "test_f1": 0.7888, "test_precision": 0.8011, "test_recall": 0.7769, "test_dice": 0.7888, "test_accuracy": 0.9861}""");
        SavePng(Path.Combine(Dir, "evaluation/pr_curve.png"), 96, 64, (x, y) => x > y * 1.5 ? new Rgba32(31, 119, 180) : new Rgba32(255, 255, 255));
        Directory.CreateDirectory(Path.Combine(Dir, "evaluation/overlays"));
        SavePng(Path.Combine(Dir, "evaluation/overlays/best_01_img_011.png"), 48, 48, (x, y) => x == y ? new Rgba32(0, 200, 0) : new Rgba32(90, 90, 90));
        SavePng(Path.Combine(Dir, "evaluation/overlays/worst_01_img_000.png"), 48, 48, (x, y) => x == 47 - y ? new Rgba32(220, 0, 0) : new Rgba32(60, 60, 60));
    }

    /// <summary>An evaluation/&lt;name&gt;/ folder as `evaluate --split all` writes it (metrics.json, per_image.csv, PR curve, one overlay).</summary>
    public void WriteDatasetEvaluation(string name, double ods, double ois, double ap, int images, string tta = "d4")
    {
        Write($"evaluation/{name}/metrics.json", $$"""
            {
              "format": "crackseg-evaluation/1",
              "split": "all",
              "image_count": {{images}},
              "data_root": "/data/{{name}}",
              "dataset_name": "{{name}}",
              "tta": "{{tta}}",
              "tta_passes": {{(tta == "d4" ? 8 : tta == "flip" ? 3 : 1)}},
              "threshold": 0.5,
              "dataset": {"iou": 0.41, "dice": 0.58, "f1": 0.58, "precision": 0.6, "recall": 0.56, "accuracy": 0.97},
              "ods": {"f1": {{F(ods)}}, "precision": 0.6, "recall": 0.5, "threshold": 0.37},
              "ois": {"f1": {{F(ois)}}, "f1_pooled": 0.55},
              "ap": {{F(ap)}}
            }
            """);
        Write($"evaluation/{name}/per_image.csv", "stem,iou,f1\ntest/a,0.4,0.57\nval/a,0.42,0.59\n");
        SavePng(Path.Combine(Dir, $"evaluation/{name}/pr_curve.png"), 96, 64, (x, y) => x > y ? new Rgba32(255, 127, 14) : new Rgba32(255, 255, 255));
        Directory.CreateDirectory(Path.Combine(Dir, $"evaluation/{name}/overlays"));
        SavePng(Path.Combine(Dir, $"evaluation/{name}/overlays/best_01_test_a.png"), 48, 48, (x, y) => x == y ? new Rgba32(0, 200, 0) : new Rgba32(90, 90, 90));
    }

    public static void SavePng(string path, int w, int h, Func<int, int, Rgba32> pixel)
    {
        using var img = new Image<Rgba32>(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                img[x, y] = pixel(x, y);
        img.SaveAsPng(path);
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
