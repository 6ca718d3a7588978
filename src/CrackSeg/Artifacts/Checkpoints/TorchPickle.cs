using System.Buffers.Binary;
using System.Collections;
using System.Text;
using static TorchSharp.torch;

namespace CrackSeg.Artifacts;

/// <summary>
/// The <c>data.pkl</c> of a <c>torch.save</c> archive: pickle protocol 2 of a graph of dicts, lists, tuples
/// (<c>object[]</c>), strings, ints, floats, bools, None and tensors, written the way Python's pickler and
/// <c>torch.save</c> write them, with only the opcodes and globals that
/// <c>torch.load(weights_only=True)</c> accepts (PyTorch ≥ 2.4; 1.13 also rejects BINFLOAT). A tensor
/// becomes <c>torch._utils._rebuild_tensor_v2((persistent id), offset, size, stride, False, OrderedDict())</c>
/// whose persistent id <c>('storage', torch.FloatStorage, key, 'cpu', numel)</c> names the archive record
/// <c>data/&lt;key&gt;</c> holding its bytes; the tensors are returned in key order, not copied.
/// No memo is written: the same graph always gives the same bytes.
/// </summary>
internal sealed class TorchPickle
{
    private const byte Proto = 0x80, Stop = (byte)'.', Mark = (byte)'(', None = (byte)'N', NewTrue = 0x88, NewFalse = 0x89;
    private const byte BinInt = (byte)'J', BinInt1 = (byte)'K', BinInt2 = (byte)'M', Long1 = 0x8a, BinFloat = (byte)'G';
    private const byte BinUnicode = (byte)'X', EmptyDict = (byte)'}', SetItems = (byte)'u', EmptyList = (byte)']', Appends = (byte)'e';
    private const byte EmptyTuple = (byte)')', Tuple = (byte)'t', Tuple1 = 0x85, Tuple2 = 0x86, Tuple3 = 0x87;
    private const byte Global = (byte)'c', Reduce = (byte)'R', BinPersId = (byte)'Q';

    private readonly MemoryStream _out = new();
    private readonly List<Tensor> _storages = [];

    private TorchPickle() { }

    /// <summary>
    /// Pickles <paramref name="root"/>. Tensors must be CPU, contiguous and start at their storage's offset 0
    /// (<see cref="PickleValues.ForPickle"/>); they are borrowed, not copied, and must stay alive until written.
    /// </summary>
    /// <exception cref="NotSupportedException">A value of a type a checkpoint cannot hold.</exception>
    public static (byte[] Pickle, IReadOnlyList<Tensor> Storages) Write(object? root)
    {
        var p = new TorchPickle();
        p._out.WriteByte(Proto);
        p._out.WriteByte(2);
        p.Value(root);
        p._out.WriteByte(Stop);
        return (p._out.ToArray(), p._storages);
    }

    private void Value(object? value)
    {
        switch (value)
        {
            case null: _out.WriteByte(None); break;
            case bool b: _out.WriteByte(b ? NewTrue : NewFalse); break;
            case int i: Int(i); break;
            case long l: Int(l); break;
            case double d: Float(d); break;
            case float f: Float(f); break;
            case string s: String(s); break;
            case Tensor t: TensorValue(t); break;
            case object[] tuple: TupleOf(tuple); break; // before IList: arrays are lists too
            case IDictionary d: Dict(d); break;
            case IList l: List(l); break;
            default: throw new NotSupportedException($"a {value.GetType().Name} cannot be written in a checkpoint");
        }
    }

    private void Int(long v)
    {
        Span<byte> b = stackalloc byte[9];
        if (v is >= 0 and <= 0xFF) { _out.WriteByte(BinInt1); _out.WriteByte((byte)v); }
        else if (v is >= 0 and <= 0xFFFF) { b[0] = BinInt2; BinaryPrimitives.WriteUInt16LittleEndian(b[1..], (ushort)v); _out.Write(b[..3]); }
        else if (v is >= int.MinValue and <= int.MaxValue) { b[0] = BinInt; BinaryPrimitives.WriteInt32LittleEndian(b[1..], (int)v); _out.Write(b[..5]); }
        else
        {
            // LONG1: the shortest little-endian two's complement (Python's encode_long).
            int n = 8;
            while (n > 1 && ((v >> (8 * (n - 1) - 1)) == 0 || (v >> (8 * (n - 1) - 1)) == -1)) n--;
            _out.WriteByte(Long1);
            _out.WriteByte((byte)n);
            BinaryPrimitives.WriteInt64LittleEndian(b, v);
            _out.Write(b[..n]);
        }
    }

    private void Float(double v)
    {
        Span<byte> b = stackalloc byte[9];
        b[0] = BinFloat;
        BinaryPrimitives.WriteDoubleBigEndian(b[1..], v);
        _out.Write(b);
    }

    private void String(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        Span<byte> head = stackalloc byte[5];
        head[0] = BinUnicode;
        BinaryPrimitives.WriteUInt32LittleEndian(head[1..], (uint)bytes.Length);
        _out.Write(head);
        _out.Write(bytes);
    }

    private void GlobalName(string module, string name) =>
        _out.Write(Encoding.ASCII.GetBytes($"{(char)Global}{module}\n{name}\n"));

    private void TupleOf(IReadOnlyList<object?> items)
    {
        if (items.Count == 0) { _out.WriteByte(EmptyTuple); return; }
        if (items.Count > 3) _out.WriteByte(Mark);
        foreach (var item in items) Value(item);
        _out.WriteByte(items.Count switch { 1 => Tuple1, 2 => Tuple2, 3 => Tuple3, _ => Tuple });
    }

    private void Dict(IDictionary d)
    {
        _out.WriteByte(EmptyDict);
        if (d.Count == 0) return;
        _out.WriteByte(Mark);
        foreach (DictionaryEntry e in d)
        {
            if (e.Key is not (string or int or long)) throw new NotSupportedException($"a dict key of type {e.Key.GetType().Name} cannot be written in a checkpoint");
            Value(e.Key);
            Value(e.Value);
        }
        _out.WriteByte(SetItems);
    }

    private void List(IList l)
    {
        _out.WriteByte(EmptyList);
        if (l.Count == 0) return;
        _out.WriteByte(Mark);
        foreach (var item in l) Value(item);
        _out.WriteByte(Appends);
    }

    private void TensorValue(Tensor t)
    {
        if (t.device_type != TorchSharp.DeviceType.CPU || !t.is_contiguous() || t.storage_offset() != 0)
            throw new ArgumentException("checkpoint tensors must be CPU, contiguous and at storage offset 0 (PickleValues.ForPickle)");
        string key = _storages.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _storages.Add(t);

        GlobalName("torch._utils", "_rebuild_tensor_v2");
        _out.WriteByte(Mark);
        {
            _out.WriteByte(Mark);
            String("storage");
            GlobalName("torch", StorageName(t.dtype));
            String(key);
            String("cpu");
            Int(t.NumberOfElements);
            _out.WriteByte(Tuple);
            _out.WriteByte(BinPersId);

            Int(0); // storage offset
            TupleOf(t.shape.Select(s => (object?)s).ToArray());
            TupleOf(t.stride().Select(s => (object?)s).ToArray());
            _out.WriteByte(NewFalse); // requires_grad: checkpoints hold detached values
            GlobalName("collections", "OrderedDict"); // backward hooks: none
            _out.WriteByte(EmptyTuple);
            _out.WriteByte(Reduce);
        }
        _out.WriteByte(Tuple);
        _out.WriteByte(Reduce);
    }

    /// <summary>PyTorch's legacy storage class of a dtype (what torch.save writes in the persistent id).</summary>
    internal static string StorageName(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 => "DoubleStorage",
        ScalarType.Float32 => "FloatStorage",
        ScalarType.Float16 => "HalfStorage",
        ScalarType.BFloat16 => "BFloat16Storage",
        ScalarType.Int64 => "LongStorage",
        ScalarType.Int32 => "IntStorage",
        ScalarType.Int16 => "ShortStorage",
        ScalarType.Int8 => "CharStorage",
        ScalarType.Byte => "ByteStorage",
        ScalarType.Bool => "BoolStorage",
        ScalarType.ComplexFloat32 => "ComplexFloatStorage",
        ScalarType.ComplexFloat64 => "ComplexDoubleStorage",
        _ => throw new NotSupportedException($"tensors of dtype {dtype} cannot be written in a checkpoint"),
    };
}
