using CrackSeg.Artifacts;
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
        bool improved = double.IsFinite(value) &&
            (Best is null || (_config.Mode == "max" ? value > Best + _config.MinDelta : value < Best - _config.MinDelta));
        if (improved)
        {
            Best = value;
            BestEpoch = epoch;
            BadValidations = 0;
        }
        else BadValidations++;
        return improved;
    }

    public EarlyStoppingState ToState() => new(_config.Monitor, _config.Mode, Best, Best is null ? null : BestEpoch, BadValidations);

    public void Restore(EarlyStoppingState state)
    {
        Best = state.Best;
        BestEpoch = state.BestEpoch ?? 0;
        BadValidations = state.BadEpochs;
    }
}
