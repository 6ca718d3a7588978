using System.Runtime.InteropServices;

namespace CrackSeg.Artifacts;

/// <summary>
/// CRC-32 (zip's polynomial 0xEDB88320) of large buffers. Uses zlib's vectorised crc32 that .NET ships in
/// System.IO.Compression.Native (export <c>CompressionNative_Crc32</c>, what ZipArchive itself calls:
/// ~10 GB/s), and falls back to a slicing-by-8 table (~1 GB/s) where that library is not loadable
/// (e.g. a single-file build that links it statically).
/// </summary>
internal static unsafe class Crc32
{
    private static readonly delegate* unmanaged<uint, byte*, int, uint> NativeCrc = FindNative();
    private static readonly uint[] Table = BuildTable();

    /// <summary>Whether the native (zlib) implementation is in use.</summary>
    public static bool IsNative => NativeCrc != null;

    /// <summary>The CRC of <paramref name="data"/> continuing from <paramref name="crc"/> (0 to start).</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        if (NativeCrc == null) return AppendManaged(crc, data);
        fixed (byte* p = data)
        {
            return NativeCrc(crc, p, data.Length);
        }
    }

    /// <summary>The table implementation (also the reference the native one is tested against).</summary>
    internal static uint AppendManaged(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        var t = Table;
        while (data.Length >= 8)
        {
            uint lo = c ^ MemoryMarshal.Read<uint>(data);
            uint hi = MemoryMarshal.Read<uint>(data[4..]);
            c = t[7 * 256 + (lo & 0xFF)] ^ t[6 * 256 + ((lo >> 8) & 0xFF)] ^ t[5 * 256 + ((lo >> 16) & 0xFF)] ^ t[4 * 256 + (lo >> 24)]
              ^ t[3 * 256 + (hi & 0xFF)] ^ t[2 * 256 + ((hi >> 8) & 0xFF)] ^ t[256 + ((hi >> 16) & 0xFF)] ^ t[hi >> 24];
            data = data[8..];
        }
        foreach (byte b in data) c = t[(c ^ b) & 0xFF] ^ (c >> 8);
        return ~c;
    }

    private static uint[] BuildTable()
    {
        var t = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        for (int i = 0; i < 256; i++)
            for (int s = 1; s < 8; s++)
                t[s * 256 + i] = (t[(s - 1) * 256 + i] >> 8) ^ t[t[(s - 1) * 256 + i] & 0xFF];
        // Little-endian slicing reads the first byte of a word in its low bits.
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("checkpoint CRCs assume a little-endian machine");
        return t;
    }

    private static delegate* unmanaged<uint, byte*, int, uint> FindNative()
    {
        foreach (string name in new[] { "libSystem.IO.Compression.Native", "System.IO.Compression.Native" })
        {
            if (NativeLibrary.TryLoad(name, typeof(Crc32).Assembly, null, out var library)
                && NativeLibrary.TryGetExport(library, "CompressionNative_Crc32", out var export))
            {
                var crc = (delegate* unmanaged<uint, byte*, int, uint>)export;
                ReadOnlySpan<byte> check = "123456789"u8;
                fixed (byte* p = check)
                {
                    if (crc(0, p, check.Length) == 0xCBF43926u) return crc; // the standard check value
                }
            }
        }
        return null;
    }
}
