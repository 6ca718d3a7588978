using CrackSeg.Common;
using static TorchSharp.torch;

namespace CrackSeg.Artifacts;

/// <summary>
/// Restores a module from a checkpoint's model_state_dict. Unlike PyBridge's <c>load_py</c>, which checks
/// names only, it checks names and shapes and reports every difference at once; values are copied into the
/// module's own tensors (device and identity kept, so an optimizer built over them stays valid).
/// </summary>
public static class ModelStateCodec
{
    /// <exception cref="InputException">The state does not fit the module (missing/unexpected keys, shapes).</exception>
    public static void Restore(nn.Module module, IReadOnlyDictionary<string, Tensor> state, string source)
    {
        var target = module.state_dict();
        var missing = target.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !target.ContainsKey(k)).ToList();
        var shapes = target.Where(kv => state.TryGetValue(kv.Key, out var s) && !s.shape.SequenceEqual(kv.Value.shape))
            .Select(kv => $"{kv.Key}: checkpoint [{string.Join(", ", state[kv.Key].shape)}], model [{string.Join(", ", kv.Value.shape)}]")
            .ToList();
        if (missing.Count + unexpected.Count + shapes.Count > 0)
        {
            var parts = new List<string>();
            if (missing.Count > 0) parts.Add($"{missing.Count} missing: {Few(missing)}");
            if (unexpected.Count > 0) parts.Add($"{unexpected.Count} unexpected: {Few(unexpected)}");
            if (shapes.Count > 0) parts.Add($"{shapes.Count} shape mismatches: {Few(shapes)}");
            throw new InputException($"checkpoint '{source}' does not fit the model ({string.Join("; ", parts)}); was it saved with another model config?");
        }
        using (no_grad())
        {
            foreach (var (name, tensor) in target) tensor.copy_(state[name]);
        }
    }

    private static string Few(IReadOnlyList<string> items) =>
        string.Join(", ", items.Take(8)) + (items.Count > 8 ? $", … ({items.Count - 8} more)" : "");
}
