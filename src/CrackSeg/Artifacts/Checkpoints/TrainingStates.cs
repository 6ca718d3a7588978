namespace CrackSeg.Artifacts;

/// <summary>Early stopping's state, saved in every checkpoint so that a resumed run stops where the uninterrupted one would.</summary>
/// <param name="Monitor">The monitored key, e.g. val_iou.</param>
/// <param name="Mode">"max" or "min".</param>
/// <param name="Best">Best monitored value so far, or null before the first validation.</param>
/// <param name="BestEpoch">Epoch of <paramref name="Best"/>.</param>
/// <param name="BadEpochs">Validations in a row without an improvement of at least min_delta.</param>
public sealed record EarlyStoppingState(string Monitor, string Mode, double? Best, int? BestEpoch, int BadEpochs);

/// <summary>The `plateau` LR schedule's state (ReduceLROnPlateau semantics on the early-stopping monitor).</summary>
/// <param name="Best">Best monitored value so far, or null.</param>
/// <param name="BadEpochs">Validations in a row without improvement.</param>
/// <param name="LrScale">Product of every reduction so far (1 before the first).</param>
/// <param name="Reductions">How many times the LR was cut.</param>
public sealed record PlateauState(double? Best, int BadEpochs, double LrScale, int Reductions);
