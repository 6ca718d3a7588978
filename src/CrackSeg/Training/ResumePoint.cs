using System.Collections;
using System.Collections.Specialized;
using CrackSeg.Artifacts;
using static TorchSharp.torch;

namespace CrackSeg.Training;

/// <summary>
/// With `training.checkpoint.every` &gt; 1 the last finished epoch may have no checkpoint file. Ctrl+C
/// must still leave one that `--resume` continues exactly, so at each epoch start this keeps a copy
/// of that epoch-boundary checkpoint in memory (only when no file covers it) and writes it on interrupt.
/// The interrupted epoch is then replayed from its start, bit for bit.
/// The copy lives in host memory (pinned on a GPU, for a fast copy), never on the training device: model and
/// optimizer state held all epoch on the device would cost about three times the parameter memory.
/// </summary>
internal sealed class ResumePoint : IDisposable
{
    private Checkpoint? _held;
    private readonly List<Tensor> _owned = [];

    public int? Epoch => _held?.Epoch;

    /// <summary>Keeps a deep copy of <paramref name="live"/> (which borrows the live tensors).</summary>
    public void Hold(Checkpoint live)
    {
        Release();
        _held = new Checkpoint
        {
            Epoch = live.Epoch,
            GlobalStep = live.GlobalStep,
            ModelState = live.ModelState.ToDictionary(kv => kv.Key, kv => Own(kv.Value)),
            OptimizerState = (IDictionary)CloneValue(live.OptimizerState)!,
            Metrics = live.Metrics,
            BestMetric = live.BestMetric,
            BestEpoch = live.BestEpoch,
            ConfigYaml = live.ConfigYaml,
            EarlyStopping = live.EarlyStopping,
            Plateau = live.Plateau,
            Scaler = live.Scaler,
            EmaState = live.EmaState?.ToDictionary(kv => kv.Key, kv => Own(kv.Value)),
            History = live.History,
            Seed = live.Seed,
            TotalTrainingTimeS = live.TotalTrainingTimeS,
        };
    }

    /// <summary>Writes the held checkpoint as its epoch file; returns the path, or null when nothing is held.</summary>
    public string? Write(ExperimentFolder folder)
    {
        if (_held is null) return null;
        string path = folder.EpochCheckpoint(_held.Epoch);
        CheckpointStore.Save(path, _held);
        return path;
    }

    private Tensor Own(Tensor t)
    {
        Tensor copy;
        using (NewDisposeScope())
        {
            var source = t.detach();
            copy = source.device_type == TorchSharp.DeviceType.CPU
                ? source.clone()
                : empty_like(source, device: CPU).pin_memory().copy_(source);
            copy = copy.DetachFromDisposeScope();
        }
        _owned.Add(copy);
        return copy;
    }

    private object? CloneValue(object? value) => value switch
    {
        Tensor t => Own(t),
        IDictionary d => CloneDictionary(d),
        IList l when value is not string => CloneList(l),
        _ => value,
    };

    private OrderedDictionary CloneDictionary(IDictionary d)
    {
        var copy = new OrderedDictionary();
        foreach (DictionaryEntry e in d) copy.Add(e.Key, CloneValue(e.Value));
        return copy;
    }

    private ArrayList CloneList(IList l)
    {
        var copy = new ArrayList(l.Count);
        foreach (var item in l) copy.Add(CloneValue(item));
        return copy;
    }

    private void Release()
    {
        foreach (var t in _owned) t.Dispose();
        _owned.Clear();
        _held = null;
    }

    public void Dispose() => Release();
}
