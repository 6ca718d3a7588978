using System.Collections;
using TorchSharp.PyBridge;
using CrackSeg.Tests.TestSupport;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Models;

/// <summary>
/// Locates the golden reference folder (PyTorch + timm outputs): <c>CRACKSEG_GOLDEN_DIR</c>, else
/// <c>../shared/golden</c> next to the repository root (the folder holding CrackSeg.sln), searched
/// upwards from the test assembly. Where it is absent, tests are skipped, unless <c>CRACKSEG_REQUIRE_GOLDEN=1</c>
/// (CI), which makes the absence a failure (see <see cref="RequiredInput"/>).
/// </summary>
internal static class GoldenFixtures
{
    private static readonly Lazy<string?> Folder = new(Locate);

    public static string? Directory => Folder.Value;

    /// <summary>The golden folder; skips the calling test where it is absent (fails it under CRACKSEG_REQUIRE_GOLDEN=1).</summary>
    public static string Require()
    {
        RequiredInput.SkipUnless(Folder.Value is not null, RequiredInput.Golden,
            "golden fixtures not found (set CRACKSEG_GOLDEN_DIR or place them at ../shared/golden next to the repository root)");
        return Folder.Value!;
    }

    /// <summary>A golden <c>.pth</c> dict of tensors by key.</summary>
    public static Dictionary<string, Tensor> LoadTensors(string dir, string file)
    {
        var table = PyTorchUnpickler.UnpickleStateDict(Path.Combine(dir, file));
        var result = new Dictionary<string, Tensor>();
        foreach (DictionaryEntry e in table) result[(string)e.Key] = (Tensor)e.Value!;
        return result;
    }

    private static string? Locate()
    {
        var fromEnv = Environment.GetEnvironmentVariable("CRACKSEG_GOLDEN_DIR");
        if (!string.IsNullOrEmpty(fromEnv)) return System.IO.Directory.Exists(fromEnv) ? Path.GetFullPath(fromEnv) : null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "CrackSeg.sln"))) continue;
            var golden = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "golden"));
            if (System.IO.Directory.Exists(golden)) return golden;
        }
        return null;
    }
}
