using System.Runtime.InteropServices;

namespace CrackSeg.Artifacts;

/// <summary>Hard links (.NET has symbolic links only): link(2) on Unix, CreateHardLinkW on Windows.</summary>
internal static partial class HardLink
{
    /// <summary>Creates <paramref name="link"/> as a second name of <paramref name="existing"/>; false where the file system refuses (then copy instead).</summary>
    public static bool TryCreate(string existing, string link)
    {
        try
        {
            return OperatingSystem.IsWindows()
                ? CreateHardLinkW(link, existing, IntPtr.Zero)
                : UnixLink(existing, link) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int UnixLink(string existing, string link);

    [LibraryImport("kernel32.dll", StringMarshalling = StringMarshalling.Utf16, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool CreateHardLinkW(string link, string existing, IntPtr securityAttributes);
}
