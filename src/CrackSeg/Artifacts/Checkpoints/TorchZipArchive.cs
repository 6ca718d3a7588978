using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using static TorchSharp.torch;

namespace CrackSeg.Artifacts;

/// <summary>
/// PyTorch's zip container (what <c>torch.save</c> writes), laid out before anything is written:
/// <c>archive/data.pkl</c>, <c>archive/byteorder</c>, one <c>archive/data/&lt;key&gt;</c> record per tensor
/// storage, <c>archive/version</c>. Every record is STORED (uncompressed) with its data aligned to 64 bytes
/// (padding in a local "FB" extra field, as PyTorch's writer does, so readers may memory-map it), entry times
/// fixed at 1980-01-01 00:00, and Zip64 fields where a size or offset needs them. Tensor bytes go from
/// the tensor's memory straight to the stream (no managed copy); CRCs are computed over that memory
/// up front, so the stream needs no seeking and the exact file length is known before writing.
/// </summary>
internal sealed class TorchZipArchive
{
    /// <summary>The folder name inside the archive; PyTorch's readers take whatever the first entry uses.</summary>
    public const string Prefix = "archive";
    /// <summary>PyTorch's serialization format version for zip archives written by torch.save.</summary>
    private const string FormatVersion = "3\n";
    private const int Alignment = 64;
    /// <summary>A Span covers at most 2 GiB: larger storages are written in slices of this size.</summary>
    public const long DefaultChunkBytes = 1L << 30;
    private const uint LocalSig = 0x04034b50, CentralSig = 0x02014b50, EndSig = 0x06054b50, Zip64EndSig = 0x06064b50, Zip64LocatorSig = 0x07064b50;
    private const ushort DosTime = 0, DosDate = (0 << 9) | (1 << 5) | 1; // 1980-01-01 00:00:00, the zip epoch
    private const ushort PaddingFieldId = 0x4246; // "FB", PyTorch's padding extra field
    private const ushort Zip64FieldId = 0x0001;

    private sealed class Record
    {
        public required byte[] Name { get; init; }
        public byte[]? Bytes { get; init; }
        public Tensor? Tensor { get; init; }
        public required long Size { get; init; }
        public uint Crc { get; set; }
        public long HeaderOffset { get; set; }
        public bool Zip64Local { get; set; }
        public int Padding { get; set; }
        public long LocalHeaderLength => 30 + Name.Length + (Zip64Local ? 20 : 0) + 4 + Padding;
    }

    private readonly List<Record> _records;
    private readonly long _zip64Threshold;
    private readonly long _chunkBytes;
    private readonly long _centralOffset, _centralSize;
    private readonly bool _zip64End;

    /// <summary>The exact length of the file <see cref="WriteTo"/> writes.</summary>
    public long Length { get; }

    /// <param name="pickle">The data.pkl bytes.</param>
    /// <param name="storages">The tensors of the pickle's persistent ids, in key order (CPU, contiguous, borrowed: keep them alive until written).</param>
    /// <param name="zip64Threshold">Tests: sizes and offsets from this value on use Zip64 fields (the format's limit is 0xFFFFFFFF).</param>
    /// <param name="chunkBytes">Tests: the slice size for large storages.</param>
    public TorchZipArchive(byte[] pickle, IReadOnlyList<Tensor> storages, long zip64Threshold = uint.MaxValue, long chunkBytes = DefaultChunkBytes)
    {
        _zip64Threshold = zip64Threshold;
        _chunkBytes = chunkBytes;
        _records = [Small("data.pkl", pickle), Small("byteorder", "little"u8.ToArray())];
        for (int i = 0; i < storages.Count; i++)
        {
            var t = storages[i];
            _records.Add(new Record { Name = Name($"data/{i}"), Tensor = t, Size = t.NumberOfElements * t.ElementSize, Crc = TensorCrc(t) });
        }
        _records.Add(Small("version", Encoding.ASCII.GetBytes(FormatVersion)));

        long offset = 0;
        foreach (var r in _records)
        {
            r.HeaderOffset = offset;
            r.Zip64Local = r.Size >= zip64Threshold;
            long dataStart = offset + 30 + r.Name.Length + (r.Zip64Local ? 20 : 0) + 4;
            r.Padding = (int)((Alignment - dataStart % Alignment) % Alignment);
            offset += r.LocalHeaderLength + r.Size;
        }
        _centralOffset = offset;
        _centralSize = _records.Sum(r => 46L + r.Name.Length + CentralZip64Length(r));
        _zip64End = _records.Count >= 0xFFFF || _centralOffset >= zip64Threshold || _centralSize >= zip64Threshold;
        Length = _centralOffset + _centralSize + (_zip64End ? 56 + 20 : 0) + 22;

        Record Small(string name, byte[] bytes) => new() { Name = Name(name), Bytes = bytes, Size = bytes.Length, Crc = Crc32.HashToUInt32(bytes) };
    }

    private static byte[] Name(string record) => Encoding.ASCII.GetBytes($"{Prefix}/{record}");

    /// <summary>Writes the archive; the stream receives exactly <see cref="Length"/> bytes.</summary>
    public void WriteTo(Stream stream)
    {
        long written = 0;
        var header = new byte[256];
        foreach (var r in _records)
        {
            if (written != r.HeaderOffset) throw new InvalidOperationException($"zip layout error: record at {written}, planned at {r.HeaderOffset}");
            int n = LocalHeader(r, header);
            stream.Write(header, 0, n);
            written += n;
            if (r.Bytes is not null) stream.Write(r.Bytes);
            else ForEachChunk(r.Tensor!, span => stream.Write(span));
            written += r.Size;
        }
        foreach (var r in _records)
        {
            int n = CentralHeader(r, header);
            stream.Write(header, 0, n);
            written += n;
        }
        int end = End(header);
        stream.Write(header, 0, end);
        written += end;
        if (written != Length) throw new InvalidOperationException($"zip layout error: wrote {written} bytes, planned {Length}");
    }

    private int LocalHeader(Record r, byte[] b)
    {
        var s = b.AsSpan();
        uint size32 = r.Zip64Local ? uint.MaxValue : (uint)r.Size;
        BinaryPrimitives.WriteUInt32LittleEndian(s, LocalSig);
        BinaryPrimitives.WriteUInt16LittleEndian(s[4..], r.Zip64Local ? (ushort)45 : (ushort)20); // version needed
        BinaryPrimitives.WriteUInt16LittleEndian(s[6..], 0); // flags
        BinaryPrimitives.WriteUInt16LittleEndian(s[8..], 0); // method: stored
        BinaryPrimitives.WriteUInt16LittleEndian(s[10..], DosTime);
        BinaryPrimitives.WriteUInt16LittleEndian(s[12..], DosDate);
        BinaryPrimitives.WriteUInt32LittleEndian(s[14..], r.Crc);
        BinaryPrimitives.WriteUInt32LittleEndian(s[18..], size32); // compressed
        BinaryPrimitives.WriteUInt32LittleEndian(s[22..], size32); // uncompressed
        BinaryPrimitives.WriteUInt16LittleEndian(s[26..], (ushort)r.Name.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(s[28..], (ushort)(r.LocalHeaderLength - 30 - r.Name.Length));
        r.Name.CopyTo(s[30..]);
        int p = 30 + r.Name.Length;
        if (r.Zip64Local)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(s[p..], Zip64FieldId);
            BinaryPrimitives.WriteUInt16LittleEndian(s[(p + 2)..], 16);
            BinaryPrimitives.WriteInt64LittleEndian(s[(p + 4)..], r.Size); // uncompressed
            BinaryPrimitives.WriteInt64LittleEndian(s[(p + 12)..], r.Size); // compressed
            p += 20;
        }
        BinaryPrimitives.WriteUInt16LittleEndian(s[p..], PaddingFieldId);
        BinaryPrimitives.WriteUInt16LittleEndian(s[(p + 2)..], (ushort)r.Padding);
        s.Slice(p + 4, r.Padding).Fill((byte)'Z');
        return p + 4 + r.Padding;
    }

    private int CentralZip64Length(Record r)
    {
        int fields = (r.Size >= _zip64Threshold ? 2 : 0) + (r.HeaderOffset >= _zip64Threshold ? 1 : 0);
        return fields == 0 ? 0 : 4 + 8 * fields;
    }

    private int CentralHeader(Record r, byte[] b)
    {
        var s = b.AsSpan();
        bool bigSize = r.Size >= _zip64Threshold, bigOffset = r.HeaderOffset >= _zip64Threshold;
        int zip64 = CentralZip64Length(r);
        ushort version = zip64 > 0 || r.Zip64Local ? (ushort)45 : (ushort)20;
        BinaryPrimitives.WriteUInt32LittleEndian(s, CentralSig);
        BinaryPrimitives.WriteUInt16LittleEndian(s[4..], version); // made by (MS-DOS attributes)
        BinaryPrimitives.WriteUInt16LittleEndian(s[6..], version); // needed
        BinaryPrimitives.WriteUInt16LittleEndian(s[8..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(s[10..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(s[12..], DosTime);
        BinaryPrimitives.WriteUInt16LittleEndian(s[14..], DosDate);
        BinaryPrimitives.WriteUInt32LittleEndian(s[16..], r.Crc);
        BinaryPrimitives.WriteUInt32LittleEndian(s[20..], bigSize ? uint.MaxValue : (uint)r.Size);
        BinaryPrimitives.WriteUInt32LittleEndian(s[24..], bigSize ? uint.MaxValue : (uint)r.Size);
        BinaryPrimitives.WriteUInt16LittleEndian(s[28..], (ushort)r.Name.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(s[30..], (ushort)zip64); // extra
        BinaryPrimitives.WriteUInt16LittleEndian(s[32..], 0); // comment
        BinaryPrimitives.WriteUInt16LittleEndian(s[34..], 0); // disk
        BinaryPrimitives.WriteUInt16LittleEndian(s[36..], 0); // internal attributes
        BinaryPrimitives.WriteUInt32LittleEndian(s[38..], 0); // external attributes
        BinaryPrimitives.WriteUInt32LittleEndian(s[42..], bigOffset ? uint.MaxValue : (uint)r.HeaderOffset);
        r.Name.CopyTo(s[46..]);
        int p = 46 + r.Name.Length;
        if (zip64 > 0)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(s[p..], Zip64FieldId);
            BinaryPrimitives.WriteUInt16LittleEndian(s[(p + 2)..], (ushort)(zip64 - 4));
            p += 4;
            if (bigSize)
            {
                BinaryPrimitives.WriteInt64LittleEndian(s[p..], r.Size);
                BinaryPrimitives.WriteInt64LittleEndian(s[(p + 8)..], r.Size);
                p += 16;
            }
            if (bigOffset) { BinaryPrimitives.WriteInt64LittleEndian(s[p..], r.HeaderOffset); p += 8; }
        }
        return p;
    }

    private int End(byte[] b)
    {
        var s = b.AsSpan();
        int p = 0;
        long entries = _records.Count;
        if (_zip64End)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(s, Zip64EndSig);
            BinaryPrimitives.WriteInt64LittleEndian(s[4..], 44); // size of the rest of this record
            BinaryPrimitives.WriteUInt16LittleEndian(s[12..], 45);
            BinaryPrimitives.WriteUInt16LittleEndian(s[14..], 45);
            BinaryPrimitives.WriteUInt32LittleEndian(s[16..], 0);
            BinaryPrimitives.WriteUInt32LittleEndian(s[20..], 0);
            BinaryPrimitives.WriteInt64LittleEndian(s[24..], entries);
            BinaryPrimitives.WriteInt64LittleEndian(s[32..], entries);
            BinaryPrimitives.WriteInt64LittleEndian(s[40..], _centralSize);
            BinaryPrimitives.WriteInt64LittleEndian(s[48..], _centralOffset);
            BinaryPrimitives.WriteUInt32LittleEndian(s[56..], Zip64LocatorSig);
            BinaryPrimitives.WriteUInt32LittleEndian(s[60..], 0);
            BinaryPrimitives.WriteInt64LittleEndian(s[64..], _centralOffset + _centralSize); // where the Zip64 end record is
            BinaryPrimitives.WriteUInt32LittleEndian(s[72..], 1);
            p = 76;
        }
        var e = s[p..];
        BinaryPrimitives.WriteUInt32LittleEndian(e, EndSig);
        BinaryPrimitives.WriteUInt16LittleEndian(e[4..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(e[6..], 0);
        ushort entries16 = _zip64End ? ushort.MaxValue : (ushort)entries;
        BinaryPrimitives.WriteUInt16LittleEndian(e[8..], entries16);
        BinaryPrimitives.WriteUInt16LittleEndian(e[10..], entries16);
        BinaryPrimitives.WriteUInt32LittleEndian(e[12..], _zip64End ? uint.MaxValue : (uint)_centralSize);
        BinaryPrimitives.WriteUInt32LittleEndian(e[16..], _zip64End ? uint.MaxValue : (uint)_centralOffset);
        BinaryPrimitives.WriteUInt16LittleEndian(e[20..], 0);
        return p + 22;
    }

    private uint TensorCrc(Tensor t)
    {
        var crc = new Crc32();
        ForEachChunk(t, crc.Append);
        return crc.GetCurrentHashAsUInt32();
    }

    private delegate void SpanAction(ReadOnlySpan<byte> span);

    /// <summary>The tensor's bytes as spans over its own memory, in slices of at most the chunk size.</summary>
    private void ForEachChunk(Tensor t, SpanAction action)
    {
        long bytes = t.NumberOfElements * t.ElementSize;
        if (bytes == 0) return;
        if (bytes <= _chunkBytes)
        {
            action(t.bytes);
            return;
        }
        using var flat = t.view(-1);
        long perChunk = Math.Max(1, _chunkBytes / t.ElementSize);
        for (long start = 0; start < t.NumberOfElements; start += perChunk)
        {
            using var part = flat.narrow(0, start, Math.Min(perChunk, t.NumberOfElements - start));
            action(part.bytes);
        }
    }
}
