using TorchSharp.Modules;
using static TorchSharp.torch.nn;

namespace CrackSeg.Models;

/// <summary>
/// The model's parameters split for the optimizer: weight decay on convolution and linear weights;
/// none on norms (LayerNorm, BatchNorm), biases (incl. q_bias/v_bias), <c>logit_scale</c> and the
/// continuous position-bias MLP <c>cpb_mlp</c> (timm's <c>no_weight_decay</c> for SwinV2).
/// </summary>
public sealed record ParameterGroups(
    IReadOnlyList<(string Name, Parameter Parameter)> Decay,
    IReadOnlyList<(string Name, Parameter Parameter)> NoDecay)
{
    /// <summary>Splits every trainable parameter of <paramref name="model"/> (state_dict order within each group).</summary>
    public static ParameterGroups Split(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var normParameters = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (moduleName, module) in model.named_modules())
        {
            if (module is TorchSharp.Modules.LayerNorm or TorchSharp.Modules.BatchNorm or TorchSharp.Modules.GroupNorm)
                foreach (var (name, _) in module.named_parameters(recurse: false)) normParameters.Add($"{moduleName}.{name}");
        }

        var decay = new List<(string, Parameter)>();
        var noDecay = new List<(string, Parameter)>();
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (!parameter.requires_grad) continue;
            bool exempt = normParameters.Contains(name) || IsExemptByName(name);
            (exempt ? noDecay : decay).Add((name, parameter));
        }
        return new ParameterGroups(decay, noDecay);
    }

    private static bool IsExemptByName(string name)
    {
        var leaf = name[(name.LastIndexOf('.') + 1)..];
        return leaf is "bias" or "q_bias" or "v_bias" or "logit_scale"
            || name.Contains("cpb_mlp.", StringComparison.Ordinal);
    }
}
