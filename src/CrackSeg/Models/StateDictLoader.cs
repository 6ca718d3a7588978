using System.Collections;
using CrackSeg.Common;
using TorchSharp.PyBridge;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CrackSeg.Models;

/// <summary>
/// Loads a state dict into a module by name with shape checks (PyBridge's <c>load_py</c> checks names
/// only). Every problem — missing, unexpected and mis-shaped keys — is reported in one
/// <see cref="InputException"/>. Values are copied into the existing tensors, converting dtype and
/// device as needed, so the model keeps its device and its parameters keep their identity.
/// </summary>
public static class StateDictLoader
{
    /// <summary>How many keys of each problem kind the error message lists before "... and N more".</summary>
    private const int ListedPerKind = 20;

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

    /// <summary>The tensors of an unpickled dict, unwrapping a checkpoint's nested model state.</summary>
    public static Dictionary<string, Tensor> FromHashtable(Hashtable table, string path, string what)
    {
        foreach (var wrapper in new[] { "model_state_dict", "state_dict", "model" })
            if (table[wrapper] is Hashtable nested) return FromHashtable(nested, path, what);
        var result = new Dictionary<string, Tensor>(table.Count);
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
        return string.Join(Environment.NewLine, lines);
    }
}
