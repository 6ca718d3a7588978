using CrackSeg.Common;
using CrackSeg.Config;

namespace CrackSeg.Data;

/// <summary>
/// Applies <c>data.on_error</c>: <c>fail</c> throws one <see cref="InputException"/> naming the
/// first fatal problem (in path order, so the same dataset always reports the same file);
/// <c>skip</c> logs a warning per problem and turns each fatal one into an excluded file.
/// </summary>
internal static class DataProblemPolicy
{
    public static bool Skips(DataConfig data) => string.Equals(data.OnError, "skip", StringComparison.OrdinalIgnoreCase);

    public static List<ExcludedFile> Apply(IReadOnlyList<DataProblem> problems, DataConfig data, RunLog log, string root)
    {
        var ordered = problems.OrderBy(p => p.Path, StringComparer.Ordinal).ThenBy(p => p.Kind).ToList();
        var fatal = ordered.Where(p => p.IsFatal).ToList();
        if (fatal.Count > 0 && !Skips(data))
        {
            string more = fatal.Count > 1
                ? $" ({fatal.Count - 1} more problem{(fatal.Count > 2 ? "s" : "")} found; `crackseg data check --data {root}` lists them all)"
                : "";
            throw new InputException(
                $"Data problem in {fatal[0].Path}: {fatal[0].Message.TrimEnd('.', '!', ' ')}. Fix or remove the file, or set data.on_error=skip to leave such pairs out{more}.");
        }

        var excluded = new List<ExcludedFile>();
        foreach (var p in ordered)
        {
            if (p.IsFatal)
            {
                excluded.Add(new ExcludedFile(p.Path, StemOf(p.Path), p.Kind, p.Message));
                log.Warning($"data: skipping {p.Path}: {p.Message}");
            }
            else
            {
                log.Warning($"data: {p.Path}: {p.Message}");
            }
        }
        return excluded;
    }

    private static string StemOf(string path) => Path.GetFileNameWithoutExtension(path);
}
