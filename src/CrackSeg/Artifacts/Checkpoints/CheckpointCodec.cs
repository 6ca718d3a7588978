using System.Collections;
using System.Collections.Specialized;
using static TorchSharp.torch;
using CrackSeg.Common;

namespace CrackSeg.Artifacts;

/// <summary>A <see cref="Checkpoint"/> as the nested dict that is pickled, and back.</summary>
internal static class CheckpointCodec
{
    /// <summary>Every key of a checkpoint dict, in the order written.</summary>
    public static readonly IReadOnlyList<string> Keys =
    [
        "epoch", "global_step", "model_state_dict", "optimizer_state_dict", "metrics", "best_metric", "best_epoch",
        "config", "config_yaml", "early_stopping", "plateau", "history", "rng", "total_training_time", "format_version",
    ];

    /// <summary>Keys written since a later version; files written before them still load (the value is then null).</summary>
    public static readonly IReadOnlyList<string> OptionalKeys = ["scaler_state_dict", "ema_state_dict"];

    public const int FormatVersion = 1;

    /// <summary>The pickle-ready dict; its tensors are CPU copies/aliases made in the caller's dispose scope.</summary>
    public static OrderedDictionary Encode(Checkpoint c)
    {
        if (c.Epoch < 1) throw new ArgumentOutOfRangeException(nameof(c), c.Epoch, "checkpoint epochs are 1-based");
        var model = StateDict(c.ModelState);
        var metrics = new OrderedDictionary();
        foreach (var (name, value) in c.Metrics) metrics.Add(name, PickleValues.Float(value, $"metrics.{name}"));

        return new OrderedDictionary
        {
            ["epoch"] = c.Epoch,
            ["global_step"] = PickleValues.Int(c.GlobalStep, "global_step"),
            ["model_state_dict"] = model,
            ["optimizer_state_dict"] = EncodeOptimizer(c.OptimizerState),
            ["metrics"] = metrics,
            ["best_metric"] = PickleValues.NullableFloat(c.BestMetric, "best_metric"),
            ["best_epoch"] = PickleValues.NullableInt(c.BestEpoch),
            ["config"] = PythonModelConfig.ConfigDict(c.ConfigYaml), // the Python view; config_yaml is ours
            ["config_yaml"] = c.ConfigYaml,
            ["early_stopping"] = c.EarlyStopping is { } es ? new OrderedDictionary
            {
                ["monitor"] = es.Monitor, ["mode"] = es.Mode, ["best"] = PickleValues.NullableFloat(es.Best, "early_stopping.best"),
                ["best_epoch"] = PickleValues.NullableInt(es.BestEpoch), ["bad_epochs"] = es.BadEpochs,
            } : null,
            ["plateau"] = c.Plateau is { } p ? new OrderedDictionary
            {
                ["best"] = PickleValues.NullableFloat(p.Best, "plateau.best"), ["bad_epochs"] = p.BadEpochs,
                ["lr_scale"] = PickleValues.Float(p.LrScale, "plateau.lr_scale"), ["reductions"] = p.Reductions,
            } : null,
            ["history"] = new ArrayList(c.History.Select(EncodeEpoch).ToList()),
            ["rng"] = new OrderedDictionary { ["seed"] = PickleValues.Int(c.Seed, "seed") },
            ["total_training_time"] = PickleValues.Float(c.TotalTrainingTimeS, "total_training_time"),
            ["format_version"] = FormatVersion,
            ["scaler_state_dict"] = c.Scaler is { } sc ? new OrderedDictionary
            {
                ["scale"] = PickleValues.Float(sc.Scale, "scaler_state_dict.scale"),
                ["growth_factor"] = PickleValues.Float(sc.GrowthFactor, "scaler_state_dict.growth_factor"),
                ["backoff_factor"] = PickleValues.Float(sc.BackoffFactor, "scaler_state_dict.backoff_factor"),
                ["growth_interval"] = sc.GrowthInterval,
                ["_growth_tracker"] = PickleValues.Int(sc.GrowthTracker, "scaler_state_dict._growth_tracker"),
            } : null,
            ["ema_state_dict"] = c.EmaState is { } ema ? StateDict(ema) : null,
        };
    }

    private static OrderedDictionary StateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        var dict = new OrderedDictionary();
        foreach (var (name, tensor) in state) dict.Add(name, PickleValues.ForPickle(tensor));
        return dict;
    }

    /// <summary>A deep copy of the optimizer dict with pickle-ready tensors and PyTorch's float32 `step` tensors.</summary>
    private static object? EncodeOptimizer(IDictionary optimizer)
    {
        var copy = (OrderedDictionary)DeepCopy(optimizer, "optimizer_state_dict")!;
        if (copy["state"] is IDictionary states)
        {
            foreach (DictionaryEntry s in states)
                if (s.Value is OrderedDictionary entry && entry.Contains("step") && entry["step"] is not Tensor and not null)
                    entry["step"] = OptimizerStateCodec.StepTensor(entry["step"]!);
        }
        return copy;
    }

    private static object? DeepCopy(object? value, string what) => value switch
    {
        null or bool or int or string => value,
        long l => PickleValues.Int(l, what),
        double d => PickleValues.Float(d, what),
        float f => PickleValues.Float(f, what),
        Tensor t => PickleValues.ForPickle(t),
        IDictionary d => CopyDict(d, what),
        object[] tuple => tuple.Select((x, i) => DeepCopy(x, $"{what}[{i}]")).ToArray(),
        IList list => new ArrayList(list.Cast<object?>().Select((x, i) => DeepCopy(x, $"{what}[{i}]")).ToList()),
        _ => throw new NotSupportedException($"{what}: a {value.GetType().Name} cannot be saved in a checkpoint"),
    };

    private static OrderedDictionary CopyDict(IDictionary d, string what)
    {
        var copy = new OrderedDictionary();
        foreach (DictionaryEntry e in d) copy.Add(e.Key, DeepCopy(e.Value, $"{what}.{e.Key}"));
        return copy;
    }

    public static OrderedDictionary EncodeEpoch(EpochRecord e)
    {
        var d = new OrderedDictionary { ["epoch"] = e.Epoch };
        foreach (var (key, value) in e.Numbers())
        {
            if (key == "lr") d.Add("timestamp", ArtifactFormat.Timestamp(e.Timestamp)); // metrics.jsonl's key order
            d.Add(key, PickleValues.NullableFloat(value, $"history epoch {e.Epoch} {key}"));
        }
        return d;
    }

    private static Dictionary<string, Tensor> TensorDict(IDictionary raw, string key)
    {
        var tensors = new Dictionary<string, Tensor>();
        foreach (DictionaryEntry e in raw)
            tensors[(string)e.Key] = e.Value as Tensor ?? throw new InvalidDataException($"{key}['{e.Key}'] is not a tensor");
        return tensors;
    }

    /// <summary>Reads a loaded dict; throws <see cref="InvalidDataException"/> naming the first key that is wrong.</summary>
    public static Checkpoint Decode(Hashtable raw, string path)
    {
        var missing = Keys.Where(k => !raw.ContainsKey(k)).ToList();
        if (missing.Count > 0) throw new InvalidDataException($"missing keys: {string.Join(", ", missing)}");

        var model = TensorDict(Dict(raw, "model_state_dict"), "model_state_dict");
        var metrics = new Dictionary<string, double>();
        foreach (DictionaryEntry e in Dict(raw, "metrics")) metrics[(string)e.Key] = Double(e.Value, $"metrics.{e.Key}");

        return new Checkpoint
        {
            Epoch = Int(raw["epoch"], "epoch"),
            GlobalStep = Long(raw["global_step"], "global_step"),
            ModelState = model,
            OptimizerState = Dict(raw, "optimizer_state_dict"),
            Metrics = metrics,
            BestMetric = raw["best_metric"] is null ? null : Double(raw["best_metric"], "best_metric"),
            BestEpoch = raw["best_epoch"] is null ? null : Int(raw["best_epoch"], "best_epoch"),
            ConfigYaml = raw["config_yaml"] as string ?? throw new InvalidDataException("config_yaml is not a string"),
            EarlyStopping = raw["early_stopping"] is IDictionary es ? new EarlyStoppingState(
                (string)es["monitor"]!, (string)es["mode"]!, NullableDouble(es["best"], "early_stopping.best"),
                es["best_epoch"] is null ? null : Int(es["best_epoch"], "early_stopping.best_epoch"), Int(es["bad_epochs"], "early_stopping.bad_epochs")) : null,
            Plateau = raw["plateau"] is IDictionary p ? new PlateauState(
                NullableDouble(p["best"], "plateau.best"), Int(p["bad_epochs"], "plateau.bad_epochs"),
                Double(p["lr_scale"], "plateau.lr_scale"), Int(p["reductions"], "plateau.reductions")) : null,
            History = (raw["history"] as IList ?? throw new InvalidDataException("history is not a list"))
                .Cast<object>().Select((h, i) => DecodeEpoch(h as IDictionary ?? throw new InvalidDataException($"history[{i}] is not a dict"))).ToList(),
            Seed = Long(Dict(raw, "rng")["seed"], "rng.seed"),
            TotalTrainingTimeS = Double(raw["total_training_time"], "total_training_time"),
            Scaler = raw.ContainsKey("scaler_state_dict") && raw["scaler_state_dict"] is IDictionary sc ? new ScalerState(
                Double(sc["scale"], "scaler_state_dict.scale"), Double(sc["growth_factor"], "scaler_state_dict.growth_factor"),
                Double(sc["backoff_factor"], "scaler_state_dict.backoff_factor"), Int(sc["growth_interval"], "scaler_state_dict.growth_interval"),
                Long(sc["_growth_tracker"], "scaler_state_dict._growth_tracker")) : null,
            EmaState = raw.ContainsKey("ema_state_dict") && raw["ema_state_dict"] is IDictionary ema ? TensorDict(ema, "ema_state_dict") : null,
            SourcePath = path,
            OwnsTensors = true,
        };
    }

    public static EpochRecord DecodeEpoch(IDictionary d)
    {
        int epoch = Int(d["epoch"], "history.epoch");
        string Where(string key) => $"history epoch {epoch} {key}";
        bool validated = d["val_iou"] is not null;
        var validation = validated
            ? new ValidationMetrics(Double(d["val_loss"], Where("val_loss")), Double(d["val_iou"], Where("val_iou")), Double(d["val_f1"], Where("val_f1")),
                Double(d["val_precision"], Where("val_precision")), Double(d["val_recall"], Where("val_recall")),
                Double(d["val_dice"], Where("val_dice")), Double(d["val_accuracy"], Where("val_accuracy")))
            : null;
        string stamp = d["timestamp"] as string ?? throw new InvalidDataException($"{Where("timestamp")} is not a string");
        if (!ArtifactFormat.TryParseTimestamp(stamp, out var time)) throw new InvalidDataException($"{Where("timestamp")} '{stamp}' is not ISO 8601 with offset");
        return new EpochRecord(epoch, Double(d["train_loss"], Where("train_loss")), validation, time,
            Double(d["lr"], Where("lr")), Double(d["grad_norm"], Where("grad_norm")),
            Double(d["epoch_time_s"], Where("epoch_time_s")), Double(d["samples_per_s"], Where("samples_per_s")));
    }

    private static IDictionary Dict(IDictionary raw, string key) =>
        raw[key] as IDictionary ?? throw new InvalidDataException($"{key} is not a dict");

    private static int Int(object? v, string what) => v is int i ? i : throw new InvalidDataException($"{what} is {Describe(v)}, expected an int");
    private static long Long(object? v, string what) => v switch { int i => i, long l => l, _ => throw new InvalidDataException($"{what} is {Describe(v)}, expected an int") };
    private static double Double(object? v, string what) => v switch
    {
        double d when double.IsFinite(d) => d,
        int i => i,
        _ => throw new InvalidDataException($"{what} is {Describe(v)}, expected a finite float"),
    };
    private static double? NullableDouble(object? v, string what) => v is null ? null : Double(v, what);
    private static string Describe(object? v) => v is null ? "None" : $"{v} ({v.GetType().Name})";
}
