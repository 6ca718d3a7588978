using System.Collections;
using TorchSharp.PyBridge;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CrackSeg.Common;

/// <summary>
/// The one loader of state dicts, for every path that puts weights into a module (pretrained encoders, resume,
/// evaluate): which keys of a checkpoint dict hold the weights (<see cref="WrapperKeys"/>), and a load by name with
/// shape checks (PyBridge's <c>load_py</c> checks names only). Every problem — missing, unexpected and mis-shaped
/// keys, up to <see cref="ListedPerKind"/> of each — is reported in one <see cref="InputException"/>. Values are
/// copied into the existing tensors, converting dtype and device as needed, so the model keeps its device and its
/// parameters keep their identity (an optimizer built over them stays valid).
/// </summary>
public static class StateDictLoader
{
    /// <summary>How many keys of each problem kind the error message lists before "... and N more".</summary>
    public const int ListedPerKind = 20;

    /// <summary>
    /// Keys under which a checkpoint dict holds its state dict, in the order they are looked for: ours and Python
    /// crackseg's <c>model_state_dict</c>, Lightning's <c>state_dict</c>, and <c>model</c> (timm's and many
    /// training scripts' <c>{"model": state_dict}</c>).
    /// </summary>
    public static readonly IReadOnlyList<string> WrapperKeys = ["model_state_dict", "state_dict", "model"];

    /// <summary>
    /// The state dict inside <paramref name="table"/>: the dict under the first of <see cref="WrapperKeys"/> that holds
    /// a dict, unwrapped again while that one wraps another; the table itself when it has none. <paramref name="wrapper"/>
    /// is the outermost key taken, or null.
    /// </summary>
    public static IDictionary Unwrap(IDictionary table, out string? wrapper)
    {
        wrapper = null;
        for (var key = WrapperOf(table); key is not null; key = WrapperOf(table))
        {
            wrapper ??= key;
            table = (IDictionary)table[key]!;
        }
        return table;
    }

    private static string? WrapperOf(IDictionary table) => WrapperKeys.FirstOrDefault(k => table.Contains(k) && table[k] is IDictionary);

    /// <summary>
    /// Reads a state dict from <paramref name="path"/>: a PyTorch <c>.pth</c>/<c>.pt</c> (a plain state
    /// dict, or a checkpoint dict holding one under <c>model_state_dict</c>, <c>state_dict</c> or
    /// <c>model</c>) or a <c>.safetensors</c> file.
    /// </summary>
    /// <param name="what">Names the source in error messages, e.g. a config key.</param>
    public static Dictionary<string, Tensor> ReadFile(string path, string what)
    {
        if (!File.Exists(path)) throw new InputException($"{what}: file not found: {path}");
        try
        {
            if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                return Safetensors.LoadStateDict(path);
            return FromHashtable(PyTorchUnpickler.UnpickleStateDict(path), path, what);
        }
        catch (InputException) { throw; }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InputException($"{what}: cannot read '{path}' as a PyTorch or safetensors state dict ({e.Message}).", e);
        }
    }

    /// <summary>The tensors of an unpickled dict, unwrapping a checkpoint's nested model state (see <see cref="Unwrap"/>).</summary>
    public static Dictionary<string, Tensor> FromHashtable(IDictionary table, string path, string what)
    {
        table = Unwrap(table, out _);
        var result = new Dictionary<string, Tensor>(table.Count, StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Key is not string key || entry.Value is not Tensor value)
                throw new InputException($"{what}: '{path}' holds a '{entry.Key}' entry that is not a tensor; expected a state dict of tensors.");
            result[key] = value;
        }
        return result;
    }

    /// <summary>Loads <paramref name="source"/> into <paramref name="model"/>; all keys must match.</summary>
    public static void Load(Module model, IReadOnlyDictionary<string, Tensor> source, string what) =>
        Load(model, source, what, prefix: "", requireAll: true);

    /// <summary>
    /// Loads an unpickled dict (<c>PyTorchUnpickler.UnpickleStateDict</c>): a plain state dict or a checkpoint
    /// holding one under <c>model_state_dict</c>, <c>state_dict</c> or <c>model</c>; all keys must match.
    /// </summary>
    public static void Load(Module model, Hashtable source, string what) =>
        Load(model, FromHashtable(source, "the checkpoint", what), what);

    /// <summary>Reads <paramref name="path"/> (see <see cref="ReadFile"/>) and loads it strictly.</summary>
    public static void LoadFile(Module model, string path, string what)
    {
        var source = ReadFile(path, what);
        try { Load(model, source, what); }
        finally { foreach (var t in source.Values) t.Dispose(); }
    }

    /// <summary>
    /// Loads the entries of <paramref name="source"/> into the part of <paramref name="model"/> whose
    /// keys start with <paramref name="prefix"/> (source keys are already prefixed). With
    /// <paramref name="requireAll"/> every key under the prefix must be provided.
    /// </summary>
    internal static void Load(Module model, IReadOnlyDictionary<string, Tensor> source, string what, string prefix, bool requireAll)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(source);
        var target = StateDictKeys.Entries(model)
            .Where(e => e.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(e => e.Key, e => e.Value);

        var missing = requireAll ? target.Keys.Where(k => !source.ContainsKey(k)).ToList() : [];
        var unexpected = source.Keys.Where(k => !target.ContainsKey(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        var misShaped = source
            .Where(kv => target.TryGetValue(kv.Key, out var t) && !t.shape.SequenceEqual(kv.Value.shape))
            .Select(kv => $"{kv.Key}: checkpoint {StateDictKeys.FormatShape(kv.Value.shape)}, model {StateDictKeys.FormatShape(target[kv.Key].shape)}")
            .ToList();
        if (missing.Count + unexpected.Count + misShaped.Count > 0)
            throw new InputException(Describe(what, missing, unexpected, misShaped));

        using var _ = no_grad();
        foreach (var (key, value) in source) target[key].copy_(value);
    }

    private static string Describe(string what, List<string> missing, List<string> unexpected, List<string> misShaped)
    {
        var lines = new List<string> { $"{what}: the state dict does not match the model." };
        void Section(string title, List<string> keys)
        {
            if (keys.Count == 0) return;
            lines.Add($"  {title} ({keys.Count}):");
            lines.AddRange(keys.Take(ListedPerKind).Select(k => "    " + k));
            if (keys.Count > ListedPerKind) lines.Add($"    ... and {keys.Count - ListedPerKind} more");
        }
        Section("missing keys", missing);
        Section("unexpected keys", unexpected);
        Section("mis-shaped keys", misShaped);
        lines.Add($"  In all {missing.Count} missing, {unexpected.Count} unexpected, {misShaped.Count} shape mismatches: a state dict that " +
                  "does not fit the model usually comes from another model config.");
        return string.Join(Environment.NewLine, lines);
    }
}
