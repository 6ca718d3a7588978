using System.Diagnostics;

namespace CrackSeg.Tests.TestSupport;

/// <summary>Runs the built `crackseg` CLI as a separate process (for checks that need a fresh process).</summary>
public static class CliProcess
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static Result Run(string workingDirectory, params string[] args)
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "crackseg.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(cli);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"crackseg {string.Join(' ', args)} did not finish in 5 minutes");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
