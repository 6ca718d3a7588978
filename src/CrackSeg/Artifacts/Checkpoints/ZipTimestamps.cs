using System.Buffers.Binary;

namespace CrackSeg.Artifacts;

/// <summary>
/// Sets every entry time of a zip archive to 1980-01-01 00:00 (the zip epoch), in place, so that the same
/// checkpoint content gives the same bytes whenever it is written (.NET's ZipArchive stamps entries with the
/// current time). Walks the central directory (Zip64 included) and patches each central and local header.
/// </summary>
internal static class ZipTimestamps
{
    private const uint LocalHeaderSig = 0x04034b50, CentralHeaderSig = 0x02014b50, EndSig = 0x06054b50;
    private const uint Zip64EndSig = 0x06064b50, Zip64LocatorSig = 0x07064b50;
    private const ushort DosTime = 0, DosDate = (0 << 9) | (1 << 5) | 1; // 1980-01-01 00:00:00

    public static void Normalize(Stream zip)
    {
        var (entries, centralOffset) = FindCentralDirectory(zip);
        long position = centralOffset;
        var header = new byte[46];
        for (long i = 0; i < entries; i++)
        {
            ReadExactly(zip, position, header);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header) != CentralHeaderSig)
                throw new InvalidDataException($"zip central directory entry {i} at {position} has no header signature");
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(28));
            int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(30));
            int commentLength = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(32));
            long localOffset = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(42));
            if (localOffset == uint.MaxValue)
                localOffset = Zip64LocalOffset(zip, position + 46 + nameLength, extraLength, header);

            WriteTime(zip, position + 12);
            var local = new byte[4];
            ReadExactly(zip, localOffset, local);
            if (BinaryPrimitives.ReadUInt32LittleEndian(local) != LocalHeaderSig)
                throw new InvalidDataException($"zip entry {i}: no local header at {localOffset}");
            WriteTime(zip, localOffset + 10);
            position += 46 + nameLength + extraLength + commentLength;
        }
        zip.Flush();
    }

    private static (long Entries, long CentralOffset) FindCentralDirectory(Stream zip)
    {
        int tail = (int)Math.Min(zip.Length, 22 + 0xFFFF);
        var buffer = new byte[tail];
        ReadExactly(zip, zip.Length - tail, buffer);
        for (int p = tail - 22; p >= 0; p--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(p)) != EndSig) continue;
            long entries = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(p + 10));
            long offset = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(p + 16));
            if (offset != uint.MaxValue && entries != ushort.MaxValue) return (entries, offset);
            // Zip64: the locator just before the end record points at the Zip64 end record.
            long endPosition = zip.Length - tail + p;
            var locator = new byte[20];
            ReadExactly(zip, endPosition - 20, locator);
            if (BinaryPrimitives.ReadUInt32LittleEndian(locator) != Zip64LocatorSig)
                throw new InvalidDataException("zip64 end locator not found");
            var end64 = new byte[56];
            ReadExactly(zip, (long)BinaryPrimitives.ReadUInt64LittleEndian(locator.AsSpan(8)), end64);
            if (BinaryPrimitives.ReadUInt32LittleEndian(end64) != Zip64EndSig)
                throw new InvalidDataException("zip64 end record not found");
            return ((long)BinaryPrimitives.ReadUInt64LittleEndian(end64.AsSpan(32)), (long)BinaryPrimitives.ReadUInt64LittleEndian(end64.AsSpan(48)));
        }
        throw new InvalidDataException("zip end of central directory not found");
    }

    /// <summary>The local header offset from a central entry's Zip64 extra field (after the sizes that overflowed).</summary>
    private static long Zip64LocalOffset(Stream zip, long extraStart, int extraLength, byte[] central)
    {
        var extra = new byte[extraLength];
        ReadExactly(zip, extraStart, extra);
        for (int p = 0; p + 4 <= extraLength;)
        {
            ushort id = BinaryPrimitives.ReadUInt16LittleEndian(extra.AsSpan(p));
            ushort size = BinaryPrimitives.ReadUInt16LittleEndian(extra.AsSpan(p + 2));
            if (id == 0x0001)
            {
                int q = p + 4;
                if (BinaryPrimitives.ReadUInt32LittleEndian(central.AsSpan(24)) == uint.MaxValue) q += 8; // uncompressed size
                if (BinaryPrimitives.ReadUInt32LittleEndian(central.AsSpan(20)) == uint.MaxValue) q += 8; // compressed size
                return (long)BinaryPrimitives.ReadUInt64LittleEndian(extra.AsSpan(q));
            }
            p += 4 + size;
        }
        throw new InvalidDataException("zip64 extra field with the local header offset not found");
    }

    private static void WriteTime(Stream zip, long position)
    {
        Span<byte> stamp = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(stamp, DosTime);
        BinaryPrimitives.WriteUInt16LittleEndian(stamp[2..], DosDate);
        zip.Position = position;
        zip.Write(stamp);
    }

    private static void ReadExactly(Stream zip, long position, byte[] buffer)
    {
        zip.Position = position;
        zip.ReadExactly(buffer);
    }
}
