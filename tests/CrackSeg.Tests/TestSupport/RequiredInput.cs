using System.Diagnostics.CodeAnalysis;

namespace CrackSeg.Tests.TestSupport;

/// <summary>
/// Inputs some tests take from outside the repository (golden fixtures, Chromium, PyTorch). Where one is missing
/// the test is reported as skipped, so the summary tells what ran (such tests are <c>[SkippableFact]</c> or
/// <c>[SkippableTheory]</c>); where CI requires the input through its <c>CRACKSEG_REQUIRE_*</c> variable, the
/// absence fails the test instead.
/// </summary>
internal static class RequiredInput
{
    public const string Golden = "CRACKSEG_REQUIRE_GOLDEN";
    public const string Browser = "CRACKSEG_REQUIRE_BROWSER";
    public const string PyTorch = "CRACKSEG_REQUIRE_PYTORCH";

    /// <summary>Returns when <paramref name="present"/>; otherwise fails (required) or skips, naming what is missing.</summary>
    public static void SkipUnless([DoesNotReturnIf(false)] bool present, string requireVariable, string missing)
    {
        if (present) return;
        if (Environment.GetEnvironmentVariable(requireVariable) == "1") Assert.Fail($"{requireVariable}=1 but {missing}.");
        Skip.If(true, $"{missing} (with {requireVariable}=1 this fails instead).");
    }
}
