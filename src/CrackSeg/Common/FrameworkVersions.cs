using System.Reflection;

namespace CrackSeg.Common;

/// <summary>Versions of the framework pieces, for `info` and complete_summary.json.</summary>
public static class FrameworkVersions
{
    private static readonly Assembly Library = typeof(FrameworkVersions).Assembly;

    public static string CrackSeg => Library.GetName().Version?.ToString(3) ?? "0.0.0";
    public static string DotNet => Environment.Version.ToString();
    public static string TorchSharp => Metadata("TorchSharpVersion");
    public static string LibTorch => Metadata("LibTorchVersion");
    public static string TorchBackend => Metadata("TorchBackend");

    private static string Metadata(string key) =>
        Library.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value ?? "unknown";
}
