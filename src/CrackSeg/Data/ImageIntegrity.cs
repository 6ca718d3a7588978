using System.Buffers.Binary;

namespace CrackSeg.Data;

/// <summary>
/// Structural checks that find truncated files without decoding them. They matter because
/// ImageSharp decodes a truncated JPEG or BMP silently (the missing part comes out grey or
/// black), which would train on garbage. Each check walks the container's own length fields.
/// </summary>
public static class ImageIntegrity
{
    /// <summary>Null when the file is complete; otherwise what is missing.</summary>
    public static string? FindTruncation(ImageFileFormat format, ReadOnlySpan<byte> data) => format switch
    {
        ImageFileFormat.Jpeg => CheckJpeg(data),
        ImageFileFormat.Png => CheckPng(data),
        ImageFileFormat.Bmp => CheckBmp(data),
        ImageFileFormat.Tiff => CheckTiff(data),
        _ => null,
    };

    private static string? CheckJpeg(ReadOnlySpan<byte> data)
    {
        const string noEnd = "the JPEG data ends before its end-of-image marker (FFD9)";
        int pos = 2; // after SOI
        while (true)
        {
            // Tolerate stray bytes between segments (libjpeg does): move to the next marker prefix.
            int next = data[pos..].IndexOf((byte)0xFF);
            if (next < 0) return noEnd;
            pos += next;
            while (pos < data.Length && data[pos] == 0xFF) pos++;
            if (pos >= data.Length) return noEnd;
            byte marker = data[pos++];
            if (marker == 0xD9) return null;
            if (marker == 0x01 || marker == 0xD8 || marker is >= 0xD0 and <= 0xD7) continue;
            if (pos + 2 > data.Length) return noEnd;
            int length = BinaryPrimitives.ReadUInt16BigEndian(data[pos..]);
            if (length < 2) return $"corrupt JPEG segment length at byte {pos}";
            if (pos + length > data.Length)
                return $"the JPEG segment FF{marker:X2} at byte {pos - 2} declares {length} bytes but the file ends after {data.Length - pos}";
            pos += length;
            if (marker == 0xDA && !SkipEntropyCodedData(data, ref pos)) return noEnd;
        }
    }

    /// <summary>Moves past scan data to the next real marker (FF not followed by 00, FF or RSTn).</summary>
    private static bool SkipEntropyCodedData(ReadOnlySpan<byte> data, ref int pos)
    {
        while (pos < data.Length)
        {
            int next = data[pos..].IndexOf((byte)0xFF);
            if (next < 0 || pos + next + 1 >= data.Length) return false;
            pos += next;
            byte following = data[pos + 1];
            if (following == 0x00 || following is >= 0xD0 and <= 0xD7) { pos += 2; continue; }
            if (following == 0xFF) { pos += 1; continue; }
            return true;
        }
        return false;
    }

    private static string? CheckPng(ReadOnlySpan<byte> data)
    {
        long pos = 8;
        while (true)
        {
            if (pos + 8 > data.Length) return "the PNG data ends before its IEND chunk";
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[(int)pos..]);
            string type = System.Text.Encoding.ASCII.GetString(data.Slice((int)pos + 4, 4));
            long end = pos + 12 + length;
            if (end > data.Length)
                return $"the PNG chunk {type} at byte {pos} declares {length} bytes but the file ends after {data.Length - pos - 8}";
            if (type == "IEND") return null;
            pos = end;
        }
    }

    private static string? CheckBmp(ReadOnlySpan<byte> data)
    {
        if (data.Length < 30) return $"the BMP header needs at least 30 bytes, the file has {data.Length}";
        uint declaredSize = BinaryPrimitives.ReadUInt32LittleEndian(data[2..]);
        uint pixelOffset = BinaryPrimitives.ReadUInt32LittleEndian(data[10..]);
        int width = BinaryPrimitives.ReadInt32LittleEndian(data[18..]);
        int height = BinaryPrimitives.ReadInt32LittleEndian(data[22..]);
        int bitsPerPixel = BinaryPrimitives.ReadUInt16LittleEndian(data[28..]);
        uint compression = data.Length >= 34 ? BinaryPrimitives.ReadUInt32LittleEndian(data[30..]) : 0;
        if (declaredSize != 0 && declaredSize > data.Length)
            return $"the BMP header declares {declaredSize} bytes but the file has {data.Length}";
        // Uncompressed (BI_RGB, BI_BITFIELDS): the pixel array size follows from the geometry.
        if (compression is 0 or 3 && width > 0 && bitsPerPixel > 0)
        {
            long stride = ((long)bitsPerPixel * width + 31) / 32 * 4;
            long needed = pixelOffset + stride * Math.Abs((long)height);
            if (needed > data.Length)
                return $"the BMP pixel data needs {needed} bytes but the file has {data.Length}";
        }
        return null;
    }

    private static string? CheckTiff(ReadOnlySpan<byte> data)
    {
        bool little = data[0] == (byte)'I';
        uint U32(ReadOnlySpan<byte> d, long at) => little ? BinaryPrimitives.ReadUInt32LittleEndian(d[(int)at..]) : BinaryPrimitives.ReadUInt32BigEndian(d[(int)at..]);
        ushort U16(ReadOnlySpan<byte> d, long at) => little ? BinaryPrimitives.ReadUInt16LittleEndian(d[(int)at..]) : BinaryPrimitives.ReadUInt16BigEndian(d[(int)at..]);

        if (data.Length < 8) return "the TIFF header is incomplete";
        long ifd = U32(data, 4);
        if (ifd + 2 > data.Length) return $"the TIFF directory at byte {ifd} lies beyond the end of the file ({data.Length} bytes)";
        int entries = U16(data, ifd);
        if (ifd + 2 + 12L * entries > data.Length) return "the TIFF directory is cut off by the end of the file";

        long[]? offsets = null, counts = null;
        for (int i = 0; i < entries; i++)
        {
            long entry = ifd + 2 + 12 * i;
            int tag = U16(data, entry);
            if (tag is not (273 or 279 or 324 or 325)) continue;
            int type = U16(data, entry + 2);
            long count = U32(data, entry + 4);
            int size = type == 3 ? 2 : type == 4 ? 4 : 0;
            if (size == 0 || count <= 0) continue;
            long at = size * count <= 4 ? entry + 8 : U32(data, entry + 8);
            if (at + size * count > data.Length) return $"the TIFF tag {tag} array lies beyond the end of the file";
            var values = new long[count];
            for (int k = 0; k < count; k++)
                values[k] = size == 2 ? U16(data, at + 2 * k) : U32(data, at + 4 * k);
            if (tag is 273 or 324) offsets = values; else counts = values;
        }
        if (offsets is null || counts is null) return null; // let the decoder judge unusual layouts
        for (int k = 0; k < Math.Min(offsets.Length, counts.Length); k++)
        {
            if (offsets[k] + counts[k] > data.Length)
                return $"the TIFF pixel data (strip/tile {k}) ends at byte {offsets[k] + counts[k]} but the file has {data.Length}";
        }
        return null;
    }
}
