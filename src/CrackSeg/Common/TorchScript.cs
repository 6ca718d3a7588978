using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Common;

/// <summary>
/// The one place that compiles TorchScript: the route to LibTorch ops TorchSharp does not bind (fused optimizers,
/// GradScaler kernels). Compilation is lazy and happens once per process.
/// </summary>
public static class TorchScript
{
    /// <summary>
    /// A lazily compiled unit of <paramref name="source"/>. A newline is appended: LibTorch's parser fails an internal
    /// assert on a last statement that ends the text (C# raw strings end without one).
    /// </summary>
    public static Lazy<jit.CompilationUnit> Compile(string source) => new(() => jit.compile(source + "\n"));
}
