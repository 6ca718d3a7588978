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

/// <summary>fp16 loss scaling's state, with the keys of PyTorch's <c>GradScaler.state_dict()</c>.</summary>
/// <param name="Scale">The current loss scale.</param>
/// <param name="GrowthFactor">Scale multiplier after <paramref name="GrowthInterval"/> clean steps.</param>
/// <param name="BackoffFactor">Scale multiplier on a step with inf/NaN gradients.</param>
/// <param name="GrowthInterval">Clean steps between growths.</param>
/// <param name="GrowthTracker">Clean steps since the last growth or backoff.</param>
public sealed record ScalerState(double Scale, double GrowthFactor, double BackoffFactor, int GrowthInterval, long GrowthTracker);
