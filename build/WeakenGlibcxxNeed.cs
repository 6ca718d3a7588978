using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Sets VER_FLG_WEAK on one version need (e.g. GLIBCXX_3.4.32) of an ELF64 little-endian shared
/// library, in place, when the system libstdc++ does not provide that version. Idempotent.
/// </summary>
public class WeakenGlibcxxNeed : Task
{
    [Required] public string LibraryPath { get; set; } = "";
    [Required] public string VersionName { get; set; } = "";

    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlgWeak = 0x2;

    static readonly string[] LibStdCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
    };

    public override bool Execute()
    {
        if (SystemProvides(VersionName))
        {
            Log.LogMessage(MessageImportance.Low, "System libstdc++ provides " + VersionName + "; " + LibraryPath + " left as shipped.");
            return true;
        }
        byte[] elf = File.ReadAllBytes(LibraryPath);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != 'E' || elf[2] != 'L' || elf[3] != 'F' || elf[4] != 2 || elf[5] != 1)
        {
            Log.LogError("WeakenGlibcxxNeed: " + LibraryPath + " is not a 64-bit little-endian ELF file.");
            return false;
        }
        long shoff = (long)BitConverter.ToUInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A);
        int shnum = BitConverter.ToUInt16(elf, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            long sh = shoff + (long)i * shentsize;
            if (BitConverter.ToUInt32(elf, (int)sh + 4) != ShtGnuVerneed) continue;
            long secOff = (long)BitConverter.ToUInt64(elf, (int)sh + 0x18);
            int link = (int)BitConverter.ToUInt32(elf, (int)sh + 0x28);
            long strOff = (long)BitConverter.ToUInt64(elf, (int)(shoff + (long)link * shentsize) + 0x18);
            long vn = secOff;
            while (true)
            {
                int cnt = BitConverter.ToUInt16(elf, (int)vn + 2);
                long aux = vn + BitConverter.ToUInt32(elf, (int)vn + 8);
                for (int a = 0; a < cnt; a++)
                {
                    string name = ReadCString(elf, strOff + BitConverter.ToUInt32(elf, (int)aux + 8));
                    if (name == VersionName)
                    {
                        ushort flags = BitConverter.ToUInt16(elf, (int)aux + 4);
                        if ((flags & VerFlgWeak) != 0) return true;
                        BitConverter.GetBytes((ushort)(flags | VerFlgWeak)).CopyTo(elf, (int)aux + 4);
                        string tmp = LibraryPath + ".patching";
                        File.WriteAllBytes(tmp, elf);
                        File.Copy(tmp, LibraryPath, true); // netstandard2.0 task host: no File.Move overwrite
                        File.Delete(tmp);
                        Log.LogMessage(MessageImportance.High, "Marked the " + VersionName + " need of " + LibraryPath + " weak (system libstdc++ lacks it).");
                        return true;
                    }
                    uint next = BitConverter.ToUInt32(elf, (int)aux + 12);
                    if (next == 0) break;
                    aux += next;
                }
                uint vnNext = BitConverter.ToUInt32(elf, (int)vn + 12);
                if (vnNext == 0) break;
                vn += vnNext;
            }
        }
        Log.LogMessage(MessageImportance.Low, LibraryPath + " does not need " + VersionName + "; nothing to patch.");
        return true;
    }

    static bool SystemProvides(string version)
    {
        byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
        foreach (string candidate in LibStdCandidates)
        {
            if (!File.Exists(candidate)) continue;
            byte[] bytes = File.ReadAllBytes(candidate);
            if (IndexOf(bytes, needle) >= 0) return true;
        }
        return false;
    }

    static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i <= haystack.Length - needle.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return i;
        }
        return -1;
    }

    static string ReadCString(byte[] data, long offset)
    {
        int end = (int)offset;
        while (data[end] != 0) end++;
        return Encoding.ASCII.GetString(data, (int)offset, end - (int)offset);
    }
}
