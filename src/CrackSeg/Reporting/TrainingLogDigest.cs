namespace CrackSeg.Reporting;

/// <summary>What a report shows of logs/training.log: counts, the warning/error lines and the tail.</summary>
public sealed record TrainingLogDigest(int LineCount, int WarningCount, int ErrorCount, IReadOnlyList<string> Problems, IReadOnlyList<string> Tail)
{
    public const int MaxProblems = 20;
    public const int TailLines = 30;

    internal static TrainingLogDigest Read(string file)
    {
        var lines = JsonFields.ReadText(file).Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        // RunLog tags ("WARN ", "ERROR") and Python logging's level names both match.
        static bool IsWarning(string l) => l.Contains(" WARN ", StringComparison.Ordinal) || l.Contains("WARNING", StringComparison.Ordinal);
        static bool IsError(string l) => l.Contains(" ERROR ", StringComparison.Ordinal) || l.Contains("CRITICAL", StringComparison.Ordinal);
        var problems = lines.Where(l => IsWarning(l) || IsError(l)).ToList();
        return new TrainingLogDigest(
            lines.Count,
            lines.Count(IsWarning),
            lines.Count(IsError),
            problems.Take(MaxProblems).ToList(),
            lines.Skip(Math.Max(0, lines.Count - TailLines)).ToList());
    }
}
