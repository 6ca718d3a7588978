using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace CrackSeg.Artifacts;

/// <summary>What config.yaml says about "best": training.early_stopping.{monitor, mode, min_delta} and the checkpoint cadence.</summary>
internal sealed record VerifierMonitor(string Monitor, string Mode, double MinDelta, int CheckpointEvery)
{
    public static readonly VerifierMonitor Default = new("val_iou", "max", 0.0, 1);

    /// <summary>Whether <paramref name="candidate"/> beats <paramref name="best"/> by more than min_delta.</summary>
    public bool Beats(double candidate, double best) =>
        Mode == "min" ? candidate < best - MinDelta : candidate > best + MinDelta;

    public static VerifierMonitor Read(string configPath, List<string> problems)
    {
        if (!File.Exists(configPath)) { problems.Add("config.yaml: missing"); return Default; }
        YamlMappingNode root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(File.ReadAllText(configPath)));
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode map)
            {
                problems.Add("config.yaml: expected a YAML mapping (the resolved config)");
                return Default;
            }
            root = map;
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            problems.Add($"config.yaml: not valid YAML ({e.Message})");
            return Default;
        }
        string? Scalar(params string[] path)
        {
            YamlNode node = root;
            foreach (var key in path)
            {
                if (node is not YamlMappingNode m || !m.Children.TryGetValue(new YamlScalarNode(key), out var next)) return null;
                node = next;
            }
            return (node as YamlScalarNode)?.Value;
        }
        string monitor = Scalar("training", "early_stopping", "monitor") ?? Default.Monitor;
        string mode = Scalar("training", "early_stopping", "mode") ?? Default.Mode;
        if (!GuideSchema.FinalMetricKeys.Contains(monitor)) problems.Add($"config.yaml: training.early_stopping.monitor '{monitor}' is not one of {string.Join(", ", GuideSchema.FinalMetricKeys)}");
        if (mode is not ("max" or "min")) problems.Add($"config.yaml: training.early_stopping.mode '{mode}' is not max or min");
        double minDelta = double.TryParse(Scalar("training", "early_stopping", "min_delta"), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : 0.0;
        int every = int.TryParse(Scalar("training", "checkpoint", "every"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 1;
        return new VerifierMonitor(monitor, mode, minDelta, every);
    }
}
