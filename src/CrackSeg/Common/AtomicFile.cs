using System.Text;

namespace CrackSeg.Common;

/// <summary>
/// Whole-file writes that never leave a half-written target: write a temp file in the same
/// folder, flush it to disk, then rename over the target (atomic on POSIX and NTFS).
/// A failure leaves the previous file intact and removes the temp file.
/// </summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string text) =>
        Write(path, stream => { var bytes = new UTF8Encoding(false).GetBytes(text); stream.Write(bytes); });

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, stream => stream.Write(copy));
    }

    /// <summary>Runs <paramref name="writeTemp"/> on a temp path, then renames it onto <paramref name="path"/>.</summary>
    public static void WriteVia(string path, Action<string> writeTemp)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        string temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            writeTemp(temp);
            using (var fs = new FileStream(temp, FileMode.Open, FileAccess.ReadWrite)) fs.Flush(flushToDisk: true);
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public static void Write(string path, Action<Stream> write) =>
        WriteVia(path, temp =>
        {
            using var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write);
            write(fs);
            fs.Flush(flushToDisk: true);
        });

    private static void TryDelete(string path)
    {
        try { if (File.Exists(path)) File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
