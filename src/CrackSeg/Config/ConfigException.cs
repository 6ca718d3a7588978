using CrackSeg.Common;

namespace CrackSeg.Config;

/// <summary>A configuration error: names the key, the source (file, environment, command line) and the line.</summary>
public sealed class ConfigException : InputException
{
    public ConfigException(string message, string? source = null, string? key = null, int? line = null)
        : base(message)
    {
        Source = source;
        Key = key;
        Line = line;
    }

    public new string? Source { get; }
    public string? Key { get; }
    public int? Line { get; }
}
