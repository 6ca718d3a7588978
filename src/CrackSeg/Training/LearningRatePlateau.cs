using System.Collections;
using System.Collections.Specialized;
using CrackSeg.Config;

namespace CrackSeg.Training;

/// <summary>
/// ReduceLROnPlateau's state for the <c>plateau</c> scheduler: updated once per validation with the monitored
/// value; after more than <c>patience</c> validations without improvement the LR scale is multiplied by
/// <c>factor</c> and the count starts again (PyTorch's rule, threshold_mode "abs", cooldown 0). Improvement
/// means value &gt; best + min_delta (mode max) or value &lt; best − min_delta (mode min); NaN never improves.
/// Serialisable as plain numbers for the checkpoint.
/// </summary>
public sealed class LearningRatePlateau
{
    public const string BestKey = "best", BadEpochsKey = "bad_epochs", ScaleKey = "scale", ReductionsKey = "reductions";

    public LearningRatePlateau(string mode, double minDelta, int patience, double factor)
    {
        if (mode is not ("max" or "min")) throw new ArgumentException($"mode must be max or min (got '{mode}')", nameof(mode));
        if (!(minDelta >= 0)) throw new ArgumentOutOfRangeException(nameof(minDelta), minDelta, "≥ 0");
        if (patience < 0) throw new ArgumentOutOfRangeException(nameof(patience), patience, "≥ 0");
        if (!(factor > 0 && factor < 1)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "in (0, 1)");
        Mode = mode;
        MinDelta = minDelta;
        Patience = patience;
        Factor = factor;
        Best = mode == "max" ? double.NegativeInfinity : double.PositiveInfinity;
    }

    /// <summary>mode and min_delta from training.early_stopping (the monitored metric), patience and factor from training.scheduler.</summary>
    public static LearningRatePlateau FromConfig(TrainingConfig config) =>
        new(config.EarlyStopping.Mode, config.EarlyStopping.MinDelta, config.Scheduler.Patience, config.Scheduler.Factor);

    public string Mode { get; }
    public double MinDelta { get; }
    public int Patience { get; }
    public double Factor { get; }

    public double Best { get; private set; }
    public long BadEpochs { get; private set; }
    /// <summary>Multiplier of the base LR: factor^reductions.</summary>
    public double Scale { get; private set; } = 1.0;
    public long Reductions { get; private set; }

    /// <summary>Records one validation's monitored value; true when this call cut the LR.</summary>
    public bool Step(double monitored)
    {
        bool improved = Mode == "max" ? monitored > Best + MinDelta : monitored < Best - MinDelta;
        if (improved)
        {
            Best = monitored;
            BadEpochs = 0;
            return false;
        }
        BadEpochs++;
        if (BadEpochs <= Patience) return false;
        Scale *= Factor;
        Reductions++;
        BadEpochs = 0;
        return true;
    }

    /// <summary>The state as an ordered dict of doubles and longs (key order fixed, for byte-reproducible checkpoints).</summary>
    public OrderedDictionary ToDictionary() => new()
    {
        [BestKey] = Best,
        [BadEpochsKey] = BadEpochs,
        [ScaleKey] = Scale,
        [ReductionsKey] = Reductions,
    };

    /// <summary>Restores the state written by <see cref="ToDictionary"/> (also as read back by PyTorchUnpickler).</summary>
    /// <exception cref="InvalidDataException">A key is missing or not a number.</exception>
    public void LoadDictionary(IDictionary state)
    {
        Best = Number(state, BestKey);
        BadEpochs = checked((long)Number(state, BadEpochsKey));
        Scale = Number(state, ScaleKey);
        Reductions = checked((long)Number(state, ReductionsKey));
    }

    /// <summary>A plateau state from <paramref name="config"/> with the saved values of <paramref name="state"/>.</summary>
    public static LearningRatePlateau FromDictionary(TrainingConfig config, IDictionary state)
    {
        var plateau = FromConfig(config);
        plateau.LoadDictionary(state);
        return plateau;
    }

    private static double Number(IDictionary state, string key)
    {
        if (!state.Contains(key)) throw new InvalidDataException($"plateau scheduler state: missing '{key}'");
        return state[key] switch
        {
            double d => d,
            float f => f,
            long l => l,
            int i => i,
            var other => throw new InvalidDataException($"plateau scheduler state: '{key}' is {other?.GetType().Name ?? "null"}, expected a number"),
        };
    }
}
