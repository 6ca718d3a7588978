using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Common.Precision;

/// <summary>
/// <c>with torch.autocast(device, dtype):</c> for C#: enables LibTorch's autocast for one device type on the
/// current thread and, on dispose, restores the previous state; leaving the outermost scope clears the cast
/// cache (the reduced-precision copies of the weights), as PyTorch does. Use it around forward + loss only and
/// dispose it on the thread that created it (<c>using</c> also covers exceptions and cancellation).
/// </summary>
public sealed class AutocastScope : IDisposable
{
    private readonly DeviceType _device;
    private readonly bool _previousEnabled;
    private readonly ScalarType _previousDtype;
    private readonly int _thread;
    private bool _disposed;

    private AutocastScope(DeviceType device, ScalarType dtype)
    {
        _device = device;
        _thread = Environment.CurrentManagedThreadId;
        _previousEnabled = LibTorchAutocast.IsEnabled(device);
        _previousDtype = LibTorchAutocast.GetDtype(device);
        LibTorchAutocast.SetDtype(device, dtype);
        LibTorchAutocast.SetEnabled(device, true);
        LibTorchAutocast.IncrementNesting();
    }

    /// <summary>Autocast to <paramref name="dtype"/> on <paramref name="device"/>'s type.</summary>
    /// <exception cref="InvalidOperationException">LibTorch's autocast functions are not exported by this LibTorch.</exception>
    public static AutocastScope Enter(DeviceType device, ScalarType dtype) => new(device, dtype);

    /// <summary>Whether autocast is on for <paramref name="device"/> on this thread.</summary>
    public static bool IsEnabled(DeviceType device) => LibTorchAutocast.IsEnabled(device);

    public void Dispose()
    {
        if (_disposed) return;
        if (Environment.CurrentManagedThreadId != _thread)
            throw new InvalidOperationException("an autocast scope must be disposed on the thread that entered it (the state is thread-local)");
        _disposed = true;
        if (LibTorchAutocast.DecrementNesting() == 0) LibTorchAutocast.ClearCache();
        LibTorchAutocast.SetEnabled(_device, _previousEnabled);
        LibTorchAutocast.SetDtype(_device, _previousDtype);
    }
}
