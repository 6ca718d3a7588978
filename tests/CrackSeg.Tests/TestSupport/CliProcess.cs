using System.Diagnostics;

namespace CrackSeg.Tests.TestSupport;

/// <summary>Runs the built `crackseg` CLI as a separate process (for checks that need a fresh process).</summary>
public static class CliProcess
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static Result Run(string workingDirectory, params string[] args) => Run(workingDirectory, new Dictionary<string, string?>(), args);

    /// <param name="environment">Variables to set (a null value removes the variable) in the child's environment.</param>
    public static Result Run(string workingDirectory, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "crackseg.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment)
        {
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        }
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
