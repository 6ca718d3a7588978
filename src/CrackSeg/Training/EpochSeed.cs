using TorchSharp;

namespace CrackSeg.Training;

/// <summary>
/// All randomness of an epoch derives from (experiment seed, epoch): torch's CPU and CUDA generators
/// are reseeded at every epoch start, and the data order/augmentation RNG gets the same derived
/// seed. A run resumed at an epoch boundary therefore replays the uninterrupted run exactly.
/// </summary>
public static class EpochSeed
{
    /// <summary>A well-mixed 63-bit seed for (seed, epoch) (SplitMix64 finaliser).</summary>
    public static long For(int seed, int epoch)
    {
        ulong z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)epoch * 0xBF58476D1CE4E5B9UL + 0x94D049BB133111EBUL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return (long)((z ^ (z >> 31)) & 0x7FFF_FFFF_FFFF_FFFFUL);
    }

    /// <summary>Reseeds torch's generators for <paramref name="epoch"/> (manual_seed alone seeds only the CPU).</summary>
    public static void Apply(int seed, int epoch)
    {
        long s = For(seed, epoch);
        torch.manual_seed(s);
        if (torch.cuda.is_available()) torch.cuda.manual_seed_all(s);
    }
}
