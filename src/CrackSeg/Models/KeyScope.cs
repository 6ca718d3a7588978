using static TorchSharp.torch.nn;

namespace CrackSeg.Models;

/// <summary>
/// A parameter-free level of module nesting that only adds a name to the keys below it. It reproduces
/// the Python project's wrapper chain (<c>encoder.encoder.swin.</c>) so checkpoints stay interchangeable.
/// </summary>
internal sealed class KeyScope<T> : Module where T : Module
{
    // No Module-typed field: TorchSharp registers every such field (register_module runs
    // RegisterComponents on the child), which would add the child a second time under the field's name.
    public KeyScope(string childName, T child) : base(nameof(KeyScope<T>)) => register_module(childName, child);

    public T Child => (T)named_children().Single().module;
}
