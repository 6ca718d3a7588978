using CrackSeg.Config;

namespace CrackSeg.Training;

/// <summary>
/// Tracks the monitored validation metric: the best value and epoch, and how many validations in a
/// row failed to improve by more than min_delta. Its state goes into every checkpoint.
/// </summary>
public sealed class EarlyStopping
{
    private readonly EarlyStoppingConfig _config;

    public EarlyStopping(EarlyStoppingConfig config) => _config = config;

    public double? Best { get; private set; }
    public int BestEpoch { get; private set; }
    public int BadValidations { get; private set; }
    public bool ShouldStop => _config.Enabled && BadValidations >= _config.Patience;
    public string Monitor => _config.Monitor;

    /// <summary>Records one validation; returns true when it is a new best.</summary>
    public bool Update(double value, int epoch)
    {
        if (!double.IsFinite(value)) { BadValidations++; return false; }
        bool improved = Best is null || (_config.Mode == "max" ? value > Best + _config.MinDelta : value < Best - _config.MinDelta);
        if (improved)
        {
            Best = value;
            BestEpoch = epoch;
            BadValidations = 0;
        }
        else BadValidations++;
        return improved;
    }

    public IReadOnlyDictionary<string, object> ToState() => new Dictionary<string, object>
    {
        ["monitor"] = _config.Monitor,
        ["mode"] = _config.Mode,
        ["best"] = Best ?? double.NaN,
        ["has_best"] = Best is not null,
        ["best_epoch"] = (long)BestEpoch,
        ["bad_validations"] = (long)BadValidations,
    };

    public void Restore(IReadOnlyDictionary<string, object> state)
    {
        Best = state.TryGetValue("has_best", out var has) && Convert.ToBoolean(has) ? Convert.ToDouble(state["best"]) : null;
        BestEpoch = Convert.ToInt32(state["best_epoch"]);
        BadValidations = Convert.ToInt32(state["bad_validations"]);
    }
}
