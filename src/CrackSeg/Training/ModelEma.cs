using CrackSeg.Common;
using CrackSeg.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Training;

/// <summary>
/// An exponential moving average of a model's weights, as timm's <c>ModelEmaV3</c>: after every optimizer step,
/// every floating-point entry of the state_dict (parameters and BatchNorm statistics) moves toward the model's by
/// <c>1 − decay_t</c> (one fused <c>_foreach_lerp_</c> call, on the training device, no host read); integer entries
/// (<c>num_batches_tracked</c>) are copied. With warm-up, <c>decay_t = min(decay, 1 − (1 + t)^(−power))</c> for
/// optimizer step t (1-based), so early averages follow the weights instead of the random initialisation.
/// The averaged weights live in a second model instance (<see cref="Model"/>), in eval mode, which validation
/// and <c>best_model.pth</c> use; epoch checkpoints carry them as <c>ema_state_dict</c>.
/// </summary>
public sealed class ModelEma : IDisposable
{
    private static readonly Lazy<jit.CompilationUnit> Ops = TorchScript.Compile("""
        def lerp(averages: List[Tensor], values: List[Tensor], weight: float):
            torch._foreach_lerp_(averages, values, weight)
        """);

    private readonly EmaConfig _config;
    private readonly nn.Module<Tensor, Tensor> _source;
    private readonly Tensor[] _floatAverages, _floatValues, _otherAverages, _otherValues;

    /// <param name="average">A second instance of <paramref name="source"/>'s architecture, on the same device; owned from here on.</param>
    public ModelEma(nn.Module<Tensor, Tensor> source, nn.Module<Tensor, Tensor> average, EmaConfig config)
    {
        _config = config;
        _source = source;
        Model = average;
        var values = source.state_dict();
        var averages = average.state_dict();
        if (!values.Keys.SequenceEqual(averages.Keys)) throw new ArgumentException("the EMA model's state_dict keys differ from the model's", nameof(average));
        var keys = values.Keys.ToArray();
        bool IsFloat(string k) => values[k].is_floating_point();
        _floatAverages = keys.Where(IsFloat).Select(k => averages[k]).ToArray();
        _floatValues = keys.Where(IsFloat).Select(k => values[k]).ToArray();
        _otherAverages = keys.Where(k => !IsFloat(k)).Select(k => averages[k]).ToArray();
        _otherValues = keys.Where(k => !IsFloat(k)).Select(k => values[k]).ToArray();
        foreach (var p in average.parameters()) p.requires_grad = false;
        average.eval();
        Reset();
    }

    /// <summary>The model holding the averaged weights (eval mode, no gradients).</summary>
    public nn.Module<Tensor, Tensor> Model { get; }

    /// <summary>timm ModelEmaV3's decay for optimizer step <paramref name="step"/> (1-based).</summary>
    public double DecayAt(long step)
    {
        if (!_config.Warmup) return _config.Decay;
        double warm = 1 - Math.Pow(1 + step, -_config.WarmupPower);
        return Math.Max(0, Math.Min(_config.Decay, warm));
    }

    /// <summary>Moves the average toward the model's current weights after optimizer step <paramref name="step"/>.</summary>
    public void Update(long step)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // A Scalar, not a double: TorchSharp would hand TorchScript a double's Scalar without keeping it alive.
        using Scalar weight = 1 - DecayAt(step);
        Ops.Value.invoke("lerp", _floatAverages, _floatValues, weight);
        for (int i = 0; i < _otherAverages.Length; i++) _otherAverages[i].copy_(_otherValues[i]);
    }

    /// <summary>The averaged state_dict (borrowed live tensors, like a trainer-built checkpoint's).</summary>
    public IReadOnlyDictionary<string, Tensor> StateDict() => Model.state_dict();

    /// <summary>Sets the average to <paramref name="state"/> (a checkpoint's <c>ema_state_dict</c>).</summary>
    public void Restore(IReadOnlyDictionary<string, Tensor> state, string source)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var averages = Model.state_dict();
        var missing = averages.Keys.Except(state.Keys).ToList();
        if (missing.Count > 0 || state.Count != averages.Count)
            throw new InputException($"{source}: ema_state_dict does not match the model (missing {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", ..." : "")})");
        foreach (var (key, average) in averages) average.copy_(state[key]);
    }

    /// <summary>Sets the average to the model's current weights.</summary>
    public void Reset()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (int i = 0; i < _floatAverages.Length; i++) _floatAverages[i].copy_(_floatValues[i]);
        for (int i = 0; i < _otherAverages.Length; i++) _otherAverages[i].copy_(_otherValues[i]);
    }

    public void Dispose() => Model.Dispose();
}
