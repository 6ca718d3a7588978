namespace CrackSeg.Common.Precision;

/// <summary>
/// Whether this CPU computes bfloat16 natively (AVX-512 BF16 or AMX-BF16, from /proc/cpuinfo's flags). Without
/// either, CPU autocast to bf16 still works but converts in software and is usually slower than float32.
/// </summary>
public static class CpuBf16
{
    private static readonly Lazy<string?> Flag = new(Detect);

    /// <summary>The flag that makes bf16 native here ("avx512_bf16", "amx_bf16"), or null.</summary>
    public static string? NativeFlag => Flag.Value;

    private static string? Detect()
    {
        try
        {
            if (!File.Exists("/proc/cpuinfo")) return null;
            var flags = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
            if (flags is null) return null;
            var set = flags[(flags.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
            return new[] { "amx_bf16", "avx512_bf16" }.FirstOrDefault(set.Contains);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
