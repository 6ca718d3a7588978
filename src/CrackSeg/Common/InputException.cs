namespace CrackSeg.Common;

/// <summary>
/// Bad input from the user: a config key, a data file, a command-line argument. The CLI prints the
/// message alone (no stack trace) and exits with code 2. Messages name the file or key and what
/// was expected.
/// </summary>
public class InputException : Exception
{
    public InputException(string message) : base(message) { }
    public InputException(string message, Exception inner) : base(message, inner) { }
}
