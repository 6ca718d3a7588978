namespace CrackSeg.Common;

public enum LogLevel { Debug, Info, Warning, Error }

/// <summary>
/// The run's log: console (stderr, so stdout stays machine-readable) plus an optional file that
/// is written as it happens (an experiment's logs/training.log). Thread-safe.
/// </summary>
public sealed class RunLog : IDisposable
{
    private readonly object _gate = new();
    private readonly TextWriter? _console;
    private StreamWriter? _file;

    public RunLog(LogLevel minimum = LogLevel.Info, TextWriter? console = null)
    {
        Minimum = minimum;
        _console = console ?? Console.Error;
    }

    /// <summary>A log that drops everything (library calls from tests).</summary>
    public static RunLog Silent => new(LogLevel.Error, TextWriter.Null);

    public LogLevel Minimum { get; set; }
    public string? FilePath { get; private set; }
    public int WarningCount { get; private set; }

    /// <summary>Appends every later line to <paramref name="path"/> (created with its folder).</summary>
    public void AttachFile(string path)
    {
        lock (_gate)
        {
            _file?.Dispose();
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            _file = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
            FilePath = path;
        }
    }

    public void Debug(string message) => Write(LogLevel.Debug, message);
    public void Info(string message) => Write(LogLevel.Info, message);
    public void Warning(string message) => Write(LogLevel.Warning, message);
    public void Error(string message) => Write(LogLevel.Error, message);

    public void Write(LogLevel level, string message)
    {
        if (level == LogLevel.Warning) WarningCount++;
        string line = $"{DateTimeOffset.Now:yyyy-MM-dd HH:mm:ss} {Tag(level)} {message}";
        lock (_gate)
        {
            _file?.WriteLine(line);
            if (level >= Minimum) _console?.WriteLine(line);
        }
    }

    private static string Tag(LogLevel level) => level switch
    {
        LogLevel.Debug => "DEBUG",
        LogLevel.Info => "INFO ",
        LogLevel.Warning => "WARN ",
        _ => "ERROR",
    };

    public void Dispose()
    {
        lock (_gate) { _file?.Dispose(); _file = null; }
    }
}
