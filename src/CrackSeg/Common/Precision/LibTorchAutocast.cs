using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Common.Precision;

/// <summary>
/// LibTorch's own autocast state (<c>at::autocast::*</c>), which TorchSharp 0.107 does not wrap. The functions
/// are C++ exports of <c>libtorch_cpu</c> / <c>torch_cpu.dll</c> (also in CUDA builds), resolved by their mangled
/// names at first use: Itanium names on Linux and macOS (verified here), MSVC names on Windows (written from the
/// MSVC mangling rules; not run here). The state is thread-local, exactly as PyTorch's <c>torch.autocast</c>.
/// Enums cross as their underlying int8 (<c>c10::DeviceType</c>: CPU 0, CUDA 1; <c>c10::ScalarType</c> as
/// TorchSharp's <see cref="ScalarType"/>), bools as one byte.
/// </summary>
internal static unsafe class LibTorchAutocast
{
    private sealed class Api
    {
        public delegate* unmanaged<sbyte, byte, void> SetEnabled;
        public delegate* unmanaged<sbyte, byte> IsEnabled;
        public delegate* unmanaged<sbyte, sbyte, void> SetDtype;
        public delegate* unmanaged<sbyte, sbyte> GetDtype;
        public delegate* unmanaged<int> IncrementNesting;
        public delegate* unmanaged<int> DecrementNesting;
        public delegate* unmanaged<void> ClearCache;
    }

    private static readonly Lazy<(Api? Api, string? Problem)> Resolved = new(Resolve);

    /// <summary>Null when every function was found; otherwise what is missing.</summary>
    public static string? Problem => Resolved.Value.Problem;

    public static void SetEnabled(DeviceType device, bool enabled) => Get().SetEnabled((sbyte)device, enabled ? (byte)1 : (byte)0);
    public static bool IsEnabled(DeviceType device) => Get().IsEnabled((sbyte)device) != 0;
    public static void SetDtype(DeviceType device, ScalarType dtype) => Get().SetDtype((sbyte)device, (sbyte)dtype);
    public static ScalarType GetDtype(DeviceType device) => (ScalarType)Get().GetDtype((sbyte)device);
    public static int IncrementNesting() => Get().IncrementNesting();
    public static int DecrementNesting() => Get().DecrementNesting();
    public static void ClearCache() => Get().ClearCache();

    private static Api Get() => Resolved.Value.Api
        ?? throw new InvalidOperationException($"LibTorch autocast is not available: {Resolved.Value.Problem}");

    private static (Api?, string?) Resolve()
    {
        torch.InitializeDeviceType(DeviceType.CPU); // loads libtorch_cpu the way TorchSharp does
        string library = OperatingSystem.IsWindows() ? "torch_cpu.dll" : OperatingSystem.IsMacOS() ? "libtorch_cpu.dylib" : "libtorch_cpu.so";
        if (!NativeLibrary.TryLoad(library, typeof(torch).Assembly, null, out var handle) && !NativeLibrary.TryLoad(library, out handle))
            return (null, $"{library} could not be loaded");
        var missing = new List<string>();
        nint Find(params string[] names)
        {
            foreach (var name in names)
                if (NativeLibrary.TryGetExport(handle, name, out var address)) return address;
            missing.Add(names[0]);
            return 0;
        }
        var api = new Api
        {
            SetEnabled = (delegate* unmanaged<sbyte, byte, void>)Find(
                "_ZN2at8autocast20set_autocast_enabledEN3c1010DeviceTypeEb",
                "?set_autocast_enabled@autocast@at@@YAXW4DeviceType@c10@@_N@Z"),
            IsEnabled = (delegate* unmanaged<sbyte, byte>)Find(
                "_ZN2at8autocast19is_autocast_enabledEN3c1010DeviceTypeE",
                "?is_autocast_enabled@autocast@at@@YA_NW4DeviceType@c10@@@Z"),
            SetDtype = (delegate* unmanaged<sbyte, sbyte, void>)Find(
                "_ZN2at8autocast18set_autocast_dtypeEN3c1010DeviceTypeENS1_10ScalarTypeE",
                "?set_autocast_dtype@autocast@at@@YAXW4DeviceType@c10@@W4ScalarType@4@@Z"),
            GetDtype = (delegate* unmanaged<sbyte, sbyte>)Find(
                "_ZN2at8autocast18get_autocast_dtypeEN3c1010DeviceTypeE",
                "?get_autocast_dtype@autocast@at@@YA?AW4ScalarType@c10@@W4DeviceType@4@@Z",
                "?get_autocast_dtype@autocast@at@@YAW4ScalarType@c10@@W4DeviceType@4@@Z"),
            IncrementNesting = (delegate* unmanaged<int>)Find(
                "_ZN2at8autocast17increment_nestingEv",
                "?increment_nesting@autocast@at@@YAHXZ"),
            DecrementNesting = (delegate* unmanaged<int>)Find(
                "_ZN2at8autocast17decrement_nestingEv",
                "?decrement_nesting@autocast@at@@YAHXZ"),
            ClearCache = (delegate* unmanaged<void>)Find(
                "_ZN2at8autocast11clear_cacheEv",
                "?clear_cache@autocast@at@@YAXXZ"),
        };
        return missing.Count == 0 ? (api, null) : (null, $"{library} does not export {string.Join(", ", missing)}");
    }
}
