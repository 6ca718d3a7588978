using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace CrackSeg.Export;

/// <summary>
/// A thin builder over ONNX's protobuf types (OnnxSharp's <c>Onnx.*</c> classes): named initializers,
/// nodes with generated unique names, and the few ops the model needs, each one call. Every node output is
/// a fresh tensor name returned to the caller, so the graph reads like the model's forward.
/// </summary>
internal sealed class OnnxGraph
{
    public const int IrVersion = 8;
    private readonly GraphProto _graph;
    private readonly Dictionary<string, int> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _intConstants = new(StringComparer.Ordinal);
    private readonly Dictionary<float, string> _scalars = new();

    public OnnxGraph(string name) => _graph = new GraphProto { Name = name };

    /// <summary>The prefix of the node and tensor names created now (the module being emitted).</summary>
    public string Scope { get; set; } = "";

    public int NodeCount => _graph.Node.Count;
    public long InitializerValues => _graph.Initializer.Sum(t => t.Dims.Aggregate(1L, (a, b) => a * b));

    /// <summary>A float32 graph input; a null dimension is symbolic (<paramref name="symbol"/>).</summary>
    public string Input(string name, long?[] dims, string symbol = "N")
    {
        _graph.Input.Add(ValueInfo(name, dims, symbol));
        return name;
    }

    /// <summary>Declares <paramref name="tensor"/> as a graph output named <paramref name="name"/> (an Identity renames it).</summary>
    public void Output(string tensor, string name, long?[] dims, string symbol = "N")
    {
        _graph.Node.Add(new NodeProto { OpType = "Identity", Name = name + "/Identity", Input = { tensor }, Output = { name } });
        _graph.Output.Add(ValueInfo(name, dims, symbol));
    }

    /// <summary>A float32 initializer of <paramref name="dims"/>; the name is unique under the current scope.</summary>
    public string Constant(string name, float[] values, params long[] dims)
    {
        long count = dims.Aggregate(1L, (a, b) => a * b);
        if (count != values.Length) throw new ArgumentException($"{name}: {values.Length} values for shape [{string.Join(", ", dims)}]");
        var tensor = new TensorProto { Name = Unique(name), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>A float32 constant of shape [1] broadcast by the op that uses it, shared by every node that uses the value.</summary>
    public string Scalar(float value)
    {
        if (_scalars.TryGetValue(value, out var existing)) return existing;
        string scope = Scope;
        Scope = "";
        string name = Constant("scalar", [value], 1);
        Scope = scope;
        _scalars[value] = name;
        return name;
    }

    /// <summary>An int64 initializer (shapes, axes, slice bounds), shared between nodes with the same values.</summary>
    public string Ints(params long[] values)
    {
        string key = string.Join(",", values);
        if (_intConstants.TryGetValue(key, out var existing)) return existing;
        var tensor = new TensorProto { Name = Unique("ints", global: true), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        _graph.Initializer.Add(tensor);
        _intConstants[key] = tensor.Name;
        return tensor.Name;
    }

    /// <summary>Adds one node with a single output and returns the output's name.</summary>
    public string Node(string op, string[] inputs, params AttributeProto[] attributes)
    {
        string name = Unique(op);
        var node = new NodeProto { OpType = op, Name = name, Output = { name + ":0" } };
        node.Input.AddRange(inputs);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return node.Output[0];
    }

    public static AttributeProto Attr(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };
    public static AttributeProto Attr(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };
    public static AttributeProto Attr(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };
    public static AttributeProto Attr(string name, long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    // The ops of the model, one line each.
    public string Add(string a, string b) => Node("Add", [a, b]);
    public string Sub(string a, string b) => Node("Sub", [a, b]);
    public string Mul(string a, string b) => Node("Mul", [a, b]);
    public string Div(string a, string b) => Node("Div", [a, b]);
    public string Max(string a, string b) => Node("Max", [a, b]);
    public string MatMul(string a, string b) => Node("MatMul", [a, b]);
    public string Relu(string x) => Node("Relu", [x]);
    public string Sigmoid(string x) => Node("Sigmoid", [x]);
    public string Erf(string x) => Node("Erf", [x]);
    public string Softmax(string x, long axis) => Node("Softmax", [x], Attr("axis", axis));
    public string Reshape(string x, params long[] shape) => Node("Reshape", [x, Ints(shape)]);
    public string Transpose(string x, params long[] perm) => Node("Transpose", [x], Attr("perm", perm));
    public string Concat(long axis, params string[] inputs) => Node("Concat", inputs, Attr("axis", axis));
    public string Expand(string x, params long[] shape) => Node("Expand", [x, Ints(shape)]);
    public string Slice(string x, long axis, long start, long end) => Node("Slice", [x, Ints(start), Ints(end), Ints(axis)]);

    /// <summary>Opset 17's reductions take their axes as an attribute.</summary>
    public string Reduce(string op, string x, long[] axes, bool keepDims) =>
        Node(op, [x], Attr("axes", axes), Attr("keepdims", keepDims ? 1L : 0L));

    public string LayerNorm(string x, string scale, string bias, float epsilon) =>
        Node("LayerNormalization", [x, scale, bias], Attr("axis", -1L), Attr("epsilon", epsilon));

    public string Conv(string x, string weight, string? bias, int kernelH, int kernelW, int stride, int padH, int padW, int dilation) =>
        Node("Conv", bias is null ? [x, weight] : [x, weight, bias],
            Attr("kernel_shape", [kernelH, kernelW]), Attr("strides", [stride, stride]),
            Attr("pads", [padH, padW, padH, padW]), Attr("dilations", [dilation, dilation]));

    /// <summary>Bilinear resize by integer factors (opset 11+ Resize: X, roi (none), scales).</summary>
    public string ResizeBilinear(string x, float factor, string coordinateMode) =>
        Node("Resize", [x, "", Constant("scales", [1f, 1f, factor, factor], 4)],
            Attr("mode", "linear"), Attr("coordinate_transformation_mode", coordinateMode));

    /// <summary>The model: this graph, IR version 8, the default-domain opset <paramref name="opset"/>.</summary>
    public ModelProto ToModel(int opset, string producerVersion, IReadOnlyDictionary<string, string> metadata)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "CrackSeg.NET",
            ProducerVersion = producerVersion,
            Graph = _graph,
            OpsetImport = { new OperatorSetIdProto { Domain = "", Version = opset } },
        };
        foreach (var (key, value) in metadata) model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    private string Unique(string hint, bool global = false)
    {
        string stem = global || Scope.Length == 0 ? hint : $"{Scope}/{hint}";
        int n = _names.TryGetValue(stem, out var count) ? count : 0;
        _names[stem] = n + 1;
        return n == 0 ? stem : $"{stem}_{n}";
    }

    private static ValueInfoProto ValueInfo(string name, long?[] dims, string symbol)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is long value ? new TensorShapeProto.Types.Dimension { DimValue = value } : new TensorShapeProto.Types.Dimension { DimParam = symbol });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
