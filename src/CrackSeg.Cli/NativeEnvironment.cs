using System.Runtime.InteropServices;

namespace CrackSeg.Cli;

/// <summary>
/// Settings LibTorch's OpenMP runtime reads from the native environment when it loads. By default its
/// idle threads spin; on a busy machine (two cores shared with a loader thread or other jobs) that
/// made training 10-20x slower. Passive waiting costs little when the machine is idle. .NET's
/// Environment.SetEnvironmentVariable does not reach the C runtime's environment, so this calls setenv.
/// A value the user set is kept.
/// </summary>
internal static partial class NativeEnvironment
{
    public static void PrepareForTorch()
    {
        if (OperatingSystem.IsWindows()) return;
        if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null) setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);
}
