using CrackSeg.Artifacts;

namespace CrackSeg.Training;

/// <summary>Moves the ReduceLROnPlateau state in and out of a checkpoint's <see cref="PlateauState"/>.</summary>
public static class PlateauStateMapping
{
    public static PlateauState ToState(this LearningRatePlateau plateau) =>
        new(double.IsFinite(plateau.Best) ? plateau.Best : null, (int)plateau.BadEpochs, plateau.Scale, (int)plateau.Reductions);

    public static void Restore(this LearningRatePlateau plateau, PlateauState state)
    {
        double best = state.Best ?? (plateau.Mode == "max" ? double.NegativeInfinity : double.PositiveInfinity);
        plateau.LoadDictionary(new System.Collections.Specialized.OrderedDictionary
        {
            [LearningRatePlateau.BestKey] = best,
            [LearningRatePlateau.BadEpochsKey] = (long)state.BadEpochs,
            [LearningRatePlateau.ScaleKey] = state.LrScale,
            [LearningRatePlateau.ReductionsKey] = (long)state.Reductions,
        });
    }
}
