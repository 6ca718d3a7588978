using System.Globalization;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CrackSeg.Common;

/// <summary>
/// A module's state_dict in PyTorch's order (per module: own parameters, own persistent buffers, then
/// children, depth first). TorchSharp's <c>state_dict()</c> lists all parameters before all buffers;
/// this order is what Python's <c>model.state_dict()</c> prints and what the golden key lists hold.
/// </summary>
public static class StateDictKeys
{
    /// <summary>Every (key, tensor) of <paramref name="module"/>'s state in PyTorch order.</summary>
    public static IReadOnlyList<(string Key, Tensor Value)> Entries(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var entries = new List<(string, Tensor)>();
        Walk(module, "", entries);
        return entries;
    }

    private static void Walk(Module module, string prefix, List<(string, Tensor)> entries)
    {
        foreach (var (name, parameter) in module.named_parameters(recurse: false)) entries.Add((prefix + name, parameter));
        foreach (var (name, buffer) in module.named_buffers(recurse: false, include_nonpersistent: false)) entries.Add((prefix + name, buffer));
        foreach (var (name, child) in module.named_children()) Walk(child, prefix + name + ".", entries);
    }

    /// <summary>
    /// One line per entry, <c>key&lt;TAB&gt;[d0, d1]&lt;TAB&gt;float32</c>: the format of the golden
    /// <c>*.keys.txt</c> files (shape as Python prints a list, dtype without the <c>torch.</c> prefix).
    /// </summary>
    public static IReadOnlyList<string> Lines(Module module) =>
        Entries(module).Select(e => FormatLine(e.Key, e.Value.shape, e.Value.dtype)).ToList();

    public static string FormatLine(string key, long[] shape, ScalarType dtype) =>
        $"{key}\t{FormatShape(shape)}\t{DtypeName(dtype)}";

    public static string FormatShape(long[] shape) =>
        "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    /// <summary>PyTorch's dtype name without <c>torch.</c> (float32, int64, bfloat16, ...).</summary>
    public static string DtypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.Float64 => "float64",
        ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Int64 => "int64",
        ScalarType.Int32 => "int32",
        ScalarType.Int16 => "int16",
        ScalarType.Int8 => "int8",
        ScalarType.Byte => "uint8",
        ScalarType.Bool => "bool",
        _ => dtype.ToString().ToLowerInvariant(),
    };
}
