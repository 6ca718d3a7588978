using CrackSeg.Common;
using static TorchSharp.torch;

namespace CrackSeg.Artifacts;

/// <summary>Restores a module from a checkpoint's model_state_dict, by the rule of <see cref="StateDictLoader"/>.</summary>
public static class ModelStateCodec
{
    /// <exception cref="InputException">The state does not fit the module (missing/unexpected keys, shapes), each listed.</exception>
    public static void Restore(nn.Module module, IReadOnlyDictionary<string, Tensor> state, string source) =>
        StateDictLoader.Load(module, state, $"checkpoint '{source}'");
}
