using System.Collections;
using System.Collections.Specialized;
using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;
using static TorchSharp.torch;

namespace CrackSeg.Artifacts;

/// <summary>
/// The values a checkpoint may hold — dicts (<see cref="OrderedDictionary"/>, so key order and bytes are
/// reproducible), lists, strings, ints, floats, bools, None and tensors — so that PyTorch ≥ 2.4 opens it
/// with <c>torch.load(weights_only=True)</c>. Ints must fit in 32 bits (pickled as BININT, read back as
/// <c>int</c> by Razorvine's unpickler); nothing in a checkpoint needs more (2^31 optimizer steps).
/// </summary>
internal static class PickleValues
{
    /// <summary>A long as a pickle int; throws when it would need the INT opcode (beyond 32 bits).</summary>
    public static int Int(long value, string what) =>
        value is >= int.MinValue and <= int.MaxValue
            ? (int)value
            : throw new ArgumentOutOfRangeException(what, value, $"{what} = {value} does not fit in 32 bits, which a weights_only-loadable checkpoint needs");

    /// <summary>A finite double; checkpoints never hold NaN/Infinity.</summary>
    public static double Float(double value, string what) =>
        double.IsFinite(value) ? value : throw new ArgumentException($"{what} is {value}; non-finite values are never saved in a checkpoint (a trainer error)");

    public static object? NullableFloat(double? value, string what) => value is double v ? Float(v, what) : null;
    public static object? NullableInt(int? value) => value is int v ? v : null;

    /// <summary>
    /// A tensor as it is pickled: detached, on the CPU, contiguous, and starting at offset 0 of its own
    /// storage (its bytes are written as the whole storage, so a view must be copied first). CPU tensors
    /// that already are so are aliased, not copied.
    /// </summary>
    public static Tensor ForPickle(Tensor t)
    {
        var d = t.detach();
        if (d.device_type != TorchSharp.DeviceType.CPU) d = d.cpu();
        if (!d.is_contiguous()) d = d.contiguous();
        if (d.storage_offset() != 0) d = d.clone();
        return d;
    }

    /// <summary>Every tensor inside nested dicts and lists.</summary>
    public static IEnumerable<Tensor> Tensors(object? value)
    {
        switch (value)
        {
            case Tensor t:
                yield return t;
                break;
            case IDictionary d:
                foreach (DictionaryEntry e in d)
                    foreach (var t in Tensors(e.Value)) yield return t;
                break;
            case IList l:
                foreach (var item in l)
                    foreach (var t in Tensors(item)) yield return t;
                break;
        }
    }

    /// <summary>Loaded tensors are created inside the loader's dispose scope; the checkpoint keeps them.</summary>
    public static void DetachAll(object? value)
    {
        foreach (var t in Tensors(value)) t.DetachFromDisposeScope();
    }

    // --- YAML config → nested dict of primitives (YAML 1.2 core schema for plain scalars) ---

    private static readonly Regex YamlNull = new("^(~|null|Null|NULL|)$");
    private static readonly Regex YamlBool = new("^(true|True|TRUE|false|False|FALSE)$");
    private static readonly Regex YamlInt = new("^[-+]?[0-9]+$");
    private static readonly Regex YamlFloat = new(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$");

    /// <summary>
    /// The resolved config YAML as nested dicts/lists of primitives (the `config` entry of the seed's
    /// checkpoints). Integers beyond 32 bits become floats (exact below 2^53); the exact text is kept in
    /// `config_yaml` as well.
    /// </summary>
    public static object? FromYaml(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Count == 0 ? new OrderedDictionary() : Convert(stream.Documents[0].RootNode);
    }

    private static object? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => ToDict(map),
        YamlSequenceNode seq => new ArrayList(seq.Children.Select(Convert).ToList()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new NotSupportedException($"YAML node {node.NodeType} at {node.Start} is not supported in a checkpoint config"),
    };

    private static OrderedDictionary ToDict(YamlMappingNode map)
    {
        var dict = new OrderedDictionary();
        foreach (var (key, value) in map.Children)
            dict.Add(((YamlScalarNode)key).Value ?? "", Convert(value));
        return dict;
    }

    private static object? Scalar(YamlScalarNode node)
    {
        string text = node.Value ?? "";
        if (node.Style != YamlDotNet.Core.ScalarStyle.Plain) return text;
        if (YamlNull.IsMatch(text)) return null;
        if (YamlBool.IsMatch(text)) return text.Equals("true", StringComparison.OrdinalIgnoreCase);
        if (YamlInt.IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l))
            return l is >= int.MinValue and <= int.MaxValue ? (object)(int)l : (double)l; // (object): else the ?: makes every int a double
        if (YamlFloat.IsMatch(text)) return double.Parse(text, CultureInfo.InvariantCulture);
        return text;
    }
}
