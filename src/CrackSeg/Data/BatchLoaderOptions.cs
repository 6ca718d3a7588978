using CrackSeg.Config;
using static TorchSharp.torch;

namespace CrackSeg.Data;

/// <summary>
/// How a <see cref="BatchLoader"/> walks its samples. <see cref="Augment"/> selects the training
/// geometry (random <c>data.fit</c> windows plus the augmentations of <c>data.augment</c>); without it
/// every sample gets the deterministic evaluation geometry. Use <see cref="ForTraining"/> and
/// <see cref="ForEvaluation"/> rather than mixing flags by hand.
/// </summary>
public sealed record BatchLoaderOptions
{
    public int BatchSize { get; init; } = 4;
    public bool Shuffle { get; init; }
    public bool Augment { get; init; }
    public bool DropLast { get; init; }
    /// <summary>Seeds the epoch order and every sample's augmentation: (seed, epoch, sample index).</summary>
    public int Seed { get; init; }
    public Device Device { get; init; } = CPU;
    public DataConfig Data { get; init; } = new();
    /// <summary>Assemble batches on a background thread: null decides by device (see <see cref="BatchLoader.PrefetchesOnThread"/>).</summary>
    public bool? PrefetchThread { get; init; }

    /// <summary>Shuffled, augmented, last partial batch dropped.</summary>
    public static BatchLoaderOptions ForTraining(DataConfig data, int batchSize, int seed, Device device) => new()
    {
        BatchSize = batchSize, Shuffle = true, Augment = true, DropLast = true, Seed = seed, Device = device, Data = data,
    };

    /// <summary>In order, deterministic, every sample (val/test).</summary>
    public static BatchLoaderOptions ForEvaluation(DataConfig data, int batchSize, Device device) => new()
    {
        BatchSize = batchSize, Shuffle = false, Augment = false, DropLast = false, Seed = 0, Device = device, Data = data,
    };
}
