using System.Diagnostics;
using System.Globalization;
using CrackSeg.Common;
using CrackSeg.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CrackSeg.Benchmarks;

/// <summary>One `crackseg predict` process of <see cref="PredictBackendsBenchmark"/>.</summary>
/// <param name="Backend">torch or onnx.</param>
/// <param name="ToLastFileSeconds">From process start to the last output file written (what a user waits).</param>
/// <param name="PeakRssBytes">The process's peak resident set (VmHWM), sampled while it runs.</param>
/// <param name="PredictMegapixelsPerSecond">The child's own figure: decode, model, blending and PNG writes, no start-up.</param>
public sealed record BackendRunResult(string Backend, int Size, double ToLastFileSeconds, long PeakRssBytes, double PredictMegapixelsPerSecond)
{
    /// <summary>Megapixels per second from process start to the last file.</summary>
    public double EndToEndMegapixelsPerSecond => (double)Size * Size / 1e6 / ToLastFileSeconds;

    public string Format() => string.Create(CultureInfo.InvariantCulture,
        $"predict {Backend}: {Size}x{Size} start to last file {ToLastFileSeconds:F2} s ({EndToEndMegapixelsPerSecond:F3} MP/s), predict {PredictMegapixelsPerSecond:F3} MP/s, peak RSS {PeakRssBytes / 1048576.0:F0} MiB");
}

/// <summary>
/// `crackseg bench predict`: the same <paramref name="size"/>² synthetic survey image (JPEG) predicted by a fresh
/// `crackseg predict` process per backend (TorchSharp checkpoint, then the exported ONNX model), so start-up,
/// model loading and peak memory are each backend's own.
/// </summary>
public static class PredictBackendsBenchmark
{
    /// <param name="startCli">Start info of this program's CLI with the given arguments.</param>
    /// <exception cref="InputException">A child predict failed (its error output is quoted).</exception>
    public static IReadOnlyList<BackendRunResult> Run(string experimentDir, string onnxModel, string workDir, int size,
        Func<IReadOnlyList<string>, ProcessStartInfo> startCli, RunLog log)
    {
        Directory.CreateDirectory(workDir);
        string image = Path.Combine(workDir, $"survey_{size}.jpg");
        var (rgb, _) = SyntheticCracks.Render(size, size, seed: 2048, index: 0);
        using (var picture = Image.LoadPixelData<Rgb24>(rgb, size, size)) picture.SaveAsJpeg(image);

        var results = new List<BackendRunResult>();
        foreach (var (backend, model) in new[] { ("torch", new[] { "--experiment", experimentDir, "--device", "cpu" }), ("onnx", new[] { "--model", onnxModel }) })
        {
            string output = Path.Combine(workDir, backend);
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
            log.Info($"bench predict: {backend} on {size}x{size}");
            results.Add(RunOne(backend, size, startCli(["predict", .. model, "--input", image, "--output", output]), output));
        }
        return results;
    }

    private static BackendRunResult RunOne(string backend, int size, ProcessStartInfo start, string outputDir)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var started = DateTime.UtcNow;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start crackseg predict");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        long peak = 0;
        while (!process.WaitForExit(20)) peak = Math.Max(peak, PeakRss(process));
        if (process.ExitCode != 0)
            throw new InputException($"bench predict: `crackseg {string.Join(' ', start.ArgumentList)}` exited with {process.ExitCode}: {stderr.Result.Trim()}");
        var lastWrite = Directory.EnumerateFiles(outputDir).Max(File.GetLastWriteTimeUtc);
        double modelRate = stdout.Result.Split('\n').Where(l => l.StartsWith("megapixels_per_s:", StringComparison.Ordinal))
            .Select(l => double.Parse(l["megapixels_per_s:".Length..], CultureInfo.InvariantCulture)).FirstOrDefault();
        return new BackendRunResult(backend, size, (lastWrite - started).TotalSeconds, peak, modelRate);
    }

    /// <summary>VmHWM of a running process (Linux), else .NET's peak working set; 0 once it has exited.</summary>
    private static long PeakRss(Process process)
    {
        try
        {
            string status = $"/proc/{process.Id}/status";
            if (File.Exists(status))
            {
                var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
                if (line is not null) return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
            process.Refresh();
            return process.PeakWorkingSet64;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException or FormatException)
        {
            return 0;
        }
    }
}
