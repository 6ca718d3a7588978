using CrackSeg.Common;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Models.Swin;

/// <summary>
/// The constant tensors of windowed attention that timm keeps as non-persistent buffers: the
/// log-spaced relative coordinate table, the relative position index and the shifted-window mask.
/// They are built on demand on the input's device and dtype and cached per (device, dtype, size),
/// so they are never part of the state_dict and follow the model to any device. One instance is
/// shared by all blocks of an encoder and disposed with it.
/// </summary>
internal sealed class WindowGeometry : IDisposable
{
    // Masks are cached per padded feature-map size; bound the cache for callers that feed many sizes.
    private const int MaxEntries = 256;
    private readonly Dictionary<string, Tensor> _cache = new();
    private readonly object _gate = new();

    /// <summary>The value timm adds to attention logits between tokens of different shifted regions.</summary>
    public const double MaskValue = -100.0;

    /// <summary>
    /// (2w-1)², 2) table of relative coordinates scaled to [-8, 8] by (window - 1) and log-spaced:
    /// sign(t)·log2(1+|t|)/log2(8). Computed in float32 with torch ops as timm does, then cast.
    /// </summary>
    public Tensor CoordsTable(int window, Device device, ScalarType dtype) =>
        GetOrAdd($"table|{window}|{device}|{dtype}", () =>
        {
            var coords = ScalarArithmetic.Range(-(window - 1), window, ScalarType.Float32, device);
            var grid = stack(meshgrid([coords, coords], indexing: "ij"), dim: -1);   // 2w-1, 2w-1, 2
            // timm divides by (window - 1); a 1x1 window only has the offset 0 (timm would produce 0/0 = NaN).
            var normalised = grid.Over(Math.Max(window - 1, 1)).Times(8);
            var table = (sign(normalised) * log2(normalised.abs().Plus(1.0))).Over(Math.Log2(8));
            return table.reshape(-1, 2).to(dtype);
        });

    /// <summary>(w²·w²) index into the flattened table for every (query, key) token pair of a window.</summary>
    public Tensor RelativeIndex(int window, Device device) =>
        GetOrAdd($"index|{window}|{device}", () =>
        {
            int n = window * window, span = 2 * window - 1;
            var index = new long[n * n];
            for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                int dh = i / window - j / window + window - 1;
                int dw = i % window - j % window + window - 1;
                index[i * n + j] = dh * span + dw;
            }
            return tensor(index, device: device);
        });

    /// <summary>
    /// (nW, w², w²) additive mask of a shifted block for a padded map of <paramref name="paddedH"/> x
    /// <paramref name="paddedW"/>: the regions (0,-w), (-w,-s), (-s,end) per axis as timm's
    /// dynamic mask, <see cref="MaskValue"/> between tokens of different regions, 0 otherwise.
    /// </summary>
    public Tensor ShiftMask(int window, int shift, int paddedH, int paddedW, Device device, ScalarType dtype) =>
        GetOrAdd($"mask|{window}|{shift}|{paddedH}|{paddedW}|{device}|{dtype}", () =>
        {
            int rowsOfWindows = paddedH / window, colsOfWindows = paddedW / window, n = window * window;
            int windows = rowsOfWindows * colsOfWindows;
            var mask = new float[windows * n * n];
            var region = new int[n];
            for (int wr = 0; wr < rowsOfWindows; wr++)
            for (int wc = 0; wc < colsOfWindows; wc++)
            {
                for (int t = 0; t < n; t++)
                    region[t] = Region(wr * window + t / window, paddedH, window, shift) * 3
                              + Region(wc * window + t % window, paddedW, window, shift);
                int offset = (wr * colsOfWindows + wc) * n * n;
                for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    mask[offset + i * n + j] = region[i] == region[j] ? 0f : (float)MaskValue;
            }
            using var host = tensor(mask, [windows, n, n]);
            return host.to(dtype, device);
        });

    private static int Region(int position, int size, int window, int shift) =>
        position < size - window ? 0 : position < size - shift ? 1 : 2;

    private Tensor GetOrAdd(string key, Func<Tensor> build)
    {
        lock (_gate)
        {
            if (_cache.TryGetValue(key, out var cached)) return cached;
            if (_cache.Count >= MaxEntries) Clear();
            Tensor built;
            using (NewDisposeScope())
            {
                using var _ = no_grad();
                built = build().MoveToOuterDisposeScope();
            }
            built.DetachFromDisposeScope();
            _cache[key] = built;
            return built;
        }
    }

    private void Clear()
    {
        foreach (var t in _cache.Values) t.Dispose();
        _cache.Clear();
    }

    public void Dispose()
    {
        lock (_gate) Clear();
    }
}
