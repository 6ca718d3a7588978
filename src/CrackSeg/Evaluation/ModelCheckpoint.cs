using System.Collections;
using CrackSeg.Artifacts;
using CrackSeg.Common;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace CrackSeg.Evaluation;

/// <summary>What kind of file a model checkpoint was.</summary>
public enum CheckpointKind
{
    /// <summary>A CrackSeg.NET training checkpoint (<c>format_version</c>, <c>model_state_dict</c>, <c>config_yaml</c>, …).</summary>
    CrackSeg,
    /// <summary>A Python training checkpoint: a dict holding <c>model_state_dict</c> (crackseg), <c>state_dict</c> (Lightning) or <c>model</c>.</summary>
    PythonDict,
    /// <summary>A bare state_dict (<c>torch.save(model.state_dict(), path)</c>).</summary>
    StateDict,
    /// <summary>A model.onnx written by `crackseg export` (evaluated in ONNX Runtime).</summary>
    Onnx,
}

/// <summary>The checkpoint a model was restored from.</summary>
/// <param name="Path">Absolute path of the file.</param>
/// <param name="Kind">What the file held.</param>
/// <param name="Epoch">The epoch recorded in the checkpoint, when it records one.</param>
/// <param name="Choice">How it was chosen: "best", "last" or "path".</param>
/// <param name="Weights">Which weights of the file: "model" (its model state dict) or "ema" (its <c>ema_state_dict</c>).</param>
public sealed record CheckpointInfo(string Path, CheckpointKind Kind, int? Epoch, string Choice, string Weights = ModelCheckpoint.ModelWeights)
{
    /// <summary>The kind as written to metrics.json: crackseg, python_dict or state_dict.</summary>
    public string KindName => Kind switch
    {
        CheckpointKind.CrackSeg => "crackseg",
        CheckpointKind.PythonDict => "python_dict",
        CheckpointKind.Onnx => "onnx",
        _ => "state_dict",
    };
}

/// <summary>
/// Reads the model weights of a <c>.pth</c> file — ours, a Python crackseg checkpoint
/// (<c>{"model_state_dict": …}</c>), a Lightning-style <c>{"state_dict": …}</c>, a <c>{"model": …}</c> or a bare state_dict — and
/// restores them into a module with <see cref="ModelStateCodec.Restore"/> (names and shapes checked).
/// </summary>
public static class ModelCheckpoint
{
    /// <summary>The weights a checkpoint is read for by default: its model state dict.</summary>
    public const string ModelWeights = "model";

    /// <summary>The exponential moving average an epoch checkpoint of a run with training.ema carries.</summary>
    public const string EmaWeights = "ema";

    /// <summary>Prefixes that wrappers add to every key (DataParallel, Lightning modules, torch.compile).</summary>
    private static readonly string[] WrapperPrefixes = ["module.", "model.", "_orig_mod."];

    /// <summary>
    /// Buffers that older timm versions saved although they are derived from the window size; the model
    /// rebuilds them, so a checkpoint carrying them still loads.
    /// </summary>
    private static readonly string[] DerivedBufferSuffixes = [".relative_position_index", ".relative_coords_table", ".attn_mask"];

    /// <summary>
    /// Loads <paramref name="path"/> into <paramref name="module"/> (any device; values are copied into its own tensors).
    /// <paramref name="weights"/> = <see cref="EmaWeights"/> takes the checkpoint's <c>ema_state_dict</c> instead of its
    /// model state dict: an epoch checkpoint holds both, so the average and the raw weights of one epoch can be compared.
    /// </summary>
    /// <exception cref="InputException">Missing or unreadable file, no state dict inside (or no EMA when asked for), or keys/shapes that do not fit.</exception>
    public static CheckpointInfo Restore(nn.Module module, string path, string choice, RunLog log, string weights = ModelWeights)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new InputException($"checkpoint '{path}' does not exist");
        if (weights is not (ModelWeights or EmaWeights)) throw new InputException($"--weights: expected {ModelWeights} or {EmaWeights}, got '{weights}'");
        using var scope = NewDisposeScope();
        var raw = Unpickle(full);
        var (state, kind) = weights == EmaWeights ? (EmaState(raw, full), CheckpointKind.CrackSeg) : ModelState(raw, full);
        state = MatchKeys(state, module, full, log);
        ModelStateCodec.Restore(module, state, full);
        return new CheckpointInfo(full, kind, raw["epoch"] is int epoch ? epoch : null, choice, weights);
    }

    private static Dictionary<string, Tensor> EmaState(Hashtable raw, string path) =>
        raw["ema_state_dict"] is IDictionary ema
            ? Tensors(ema, path, "ema_state_dict")
            : throw new InputException($"checkpoint '{path}' has no ema_state_dict (the run did not enable training.ema, or it is not a CrackSeg checkpoint): use --weights model");

    /// <summary>The <c>config_yaml</c> text a CrackSeg checkpoint embeds, or null (other kinds, unreadable files).</summary>
    public static string? EmbeddedConfigYaml(string path)
    {
        if (!File.Exists(path)) return null;
        using var scope = NewDisposeScope();
        return Unpickle(System.IO.Path.GetFullPath(path))["config_yaml"] as string;
    }

    private static Hashtable Unpickle(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return PyTorchUnpickler.UnpickleStateDict(stream);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InputException($"checkpoint '{path}' is not a readable PyTorch file ({e.GetType().Name}: {e.Message})", e);
        }
    }

    private static (Dictionary<string, Tensor> State, CheckpointKind Kind) ModelState(Hashtable raw, string path)
    {
        var nested = StateDictLoader.Unwrap(raw, out string? wrapper);
        if (wrapper is not null)
        {
            var kind = raw.ContainsKey("format_version") && raw.ContainsKey("config_yaml") ? CheckpointKind.CrackSeg : CheckpointKind.PythonDict;
            return (Tensors(nested, path, wrapper), kind);
        }
        if (raw.Count > 0 && raw.Values.Cast<object?>().All(v => v is Tensor))
            return (Tensors(raw, path, null), CheckpointKind.StateDict);
        var keys = raw.Keys.Cast<object>().Select(k => k.ToString()).Order(StringComparer.Ordinal).Take(12);
        throw new InputException($"checkpoint '{path}' holds no model weights: expected a dict holding one under '{string.Join("' or '", StateDictLoader.WrapperKeys)}', " +
                                 $"or a bare state_dict of tensors; found keys [{string.Join(", ", keys)}]");
    }

    private static Dictionary<string, Tensor> Tensors(IDictionary dict, string path, string? wrapper)
    {
        var result = new Dictionary<string, Tensor>(dict.Count, StringComparer.Ordinal);
        foreach (DictionaryEntry e in dict)
        {
            if (e.Key is not string key || e.Value is not Tensor t)
                throw new InputException($"checkpoint '{path}': {(wrapper is null ? "" : wrapper + ".")}'{e.Key}' is not a tensor");
            result[key] = t;
        }
        return result;
    }

    /// <summary>Strips a wrapper prefix and drops derived buffers when that is what stands between the checkpoint and the model.</summary>
    private static Dictionary<string, Tensor> MatchKeys(Dictionary<string, Tensor> state, nn.Module module, string path, RunLog log)
    {
        var modelKeys = module.state_dict().Keys.ToHashSet(StringComparer.Ordinal);
        if (!state.Keys.All(modelKeys.Contains))
        {
            foreach (string prefix in WrapperPrefixes)
            {
                if (state.Count == 0 || !state.Keys.All(k => k.StartsWith(prefix, StringComparison.Ordinal))) continue;
                var stripped = state.ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);
                if (stripped.Keys.Count(modelKeys.Contains) <= state.Keys.Count(modelKeys.Contains)) continue;
                log.Info($"checkpoint '{path}': keys carry the wrapper prefix '{prefix}'; stripped");
                state = stripped;
                break;
            }
        }
        var derived = state.Keys.Where(k => !modelKeys.Contains(k) && DerivedBufferSuffixes.Any(s => k.EndsWith(s, StringComparison.Ordinal))).ToList();
        if (derived.Count > 0)
        {
            log.Info($"checkpoint '{path}': ignoring {derived.Count} derived window buffers the model rebuilds (e.g. {derived[0]})");
            foreach (string k in derived) state.Remove(k);
        }
        return state;
    }
}
