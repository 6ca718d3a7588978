using static TorchSharp.torch.nn;

namespace CrackSeg.Models;

/// <summary>
/// A parameter-free level of module nesting that only adds a name to the keys below it. It reproduces
/// the Python project's wrapper chain (<c>encoder.encoder.swin.</c>) so checkpoints stay interchangeable.
/// </summary>
internal sealed class KeyScope : Module
{
    public KeyScope(string childName, Module child) : base(nameof(KeyScope)) => register_module(childName, child);
}
