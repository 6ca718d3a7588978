using System.Runtime.InteropServices;

namespace CrackSeg.Cli;

/// <summary>
/// How long LibTorch's OpenMP threads (GNU libgomp on Linux) spin before sleeping between parallel
/// regions, set before LibTorch loads. A training step is thousands of short regions, so the wake-up
/// cost of sleeping threads dominates on the CPU, while long spins steal the cores from everything
/// else on a busy machine. Measured with `crackseg bench train` (quickstart, 2 cores), samples/s:
///
///   GOMP_SPINCOUNT                      idle    2 other busy processes
///   0 (OMP_WAIT_POLICY=PASSIVE)         16.2    9.1
///   3,000 (chosen: ~30 µs)              25.0    6.9
///   300,000 (libgomp's default)         23-24   4.3
///
/// .NET's Environment.SetEnvironmentVariable does not reach the C runtime's environment, so this
/// calls setenv. A value the user set for either variable is kept.
/// </summary>
internal static partial class NativeEnvironment
{
    public const string SpinCount = "3000";

    /// <summary>What decides how OpenMP threads wait in this process, for `crackseg info`.</summary>
    public static string OpenMpWait { get; private set; } = Describe(chosen: false);

    public static void PrepareForTorch()
    {
        if (OperatingSystem.IsWindows()) return;
        bool chosen = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null && Environment.GetEnvironmentVariable("GOMP_SPINCOUNT") is null;
        if (chosen) setenv("GOMP_SPINCOUNT", SpinCount, 0);
        OpenMpWait = Describe(chosen);
    }

    private static string Describe(bool chosen)
    {
        if (chosen) return $"GOMP_SPINCOUNT={SpinCount} (crackseg's default)";
        foreach (var name in new[] { "OMP_WAIT_POLICY", "GOMP_SPINCOUNT" })
            if (Environment.GetEnvironmentVariable(name) is string value) return $"{name}={value} (from the environment)";
        return "the OpenMP runtime's default";
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);
}
