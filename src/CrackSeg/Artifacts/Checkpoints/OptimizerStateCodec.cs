using System.Collections;
using System.Collections.Specialized;
using System.Reflection;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CrackSeg.Artifacts;

/// <summary>
/// A TorchSharp optimizer's state in PyTorch's <c>optimizer.state_dict()</c> layout —
/// <c>{"state": {i: {"step", "exp_avg", …}}, "param_groups": [{"lr", "betas", …, "params": [i, …]}]}</c> —
/// and back. It mirrors TorchSharp.PyBridge's <c>optimizer.save_py</c>/<c>load_py</c> (the same reflection
/// over TorchSharp's Options/State fields, the same names: lr, betas, initial_lr, …) but builds ordered
/// dicts so that it nests inside a checkpoint byte-reproducibly, and restores tensors in place on the
/// parameters' device. Works for AdamW, Adam and SGD (any OptimizerHelper).
/// <para>
/// `step` is held as a number here (creating tensors outside the caller's dispose scope would leave them to
/// the GC); <see cref="CheckpointStore"/> writes it as PyTorch does, a float32 scalar tensor, and
/// <see cref="Restore"/> takes either. `initial_lr` is TorchSharp's InitialLearningRate (PyTorch's LR
/// schedulers keep the same key in param groups).
/// </para>
/// </summary>
public static class OptimizerStateCodec
{
    private const BindingFlags Public = BindingFlags.Instance | BindingFlags.Public;

    /// <summary>The optimizer's state dict, borrowing its live tensors: pickle it before the next step.</summary>
    public static OrderedDictionary Capture(OptimizerHelper optimizer)
    {
        var sd = optimizer.state_dict();
        var state = new OrderedDictionary();
        for (int i = 0; i < sd.State.Count; i++)
        {
            var entry = new OrderedDictionary();
            foreach (var (name, value) in Members(sd.State[i]))
                entry.Add(name, ToPickle(value, $"state[{i}].{name}"));
            state.Add((object)i, entry); // (object): an int key on OrderedDictionary's indexer means a position
        }

        var groups = new ArrayList();
        for (int g = 0; g < sd.Options.Count; g++)
        {
            var group = new OrderedDictionary();
            var options = sd.Options[g];
            group.Add("lr", ToPickle(Get(options, "LearningRate"), "lr"));
            foreach (var (name, value) in Members(options))
            {
                switch (name)
                {
                    case "LearningRate" or "InitialLearningRate" or "beta2": break;
                    case "beta1": group.Add("betas", new object?[] { ToPickle(value, "beta1"), ToPickle(Get(options, "beta2"), "beta2") }); break;
                    default: group.Add(name, ToPickle(value, name)); break;
                }
            }
            group.Add("initial_lr", ToPickle(Get(options, "InitialLearningRate"), "initial_lr"));
            group.Add("params", new ArrayList(sd.StateIndexRef[g].Select(i => (object)i).ToList()));
            groups.Add(group);
        }
        return new OrderedDictionary { ["state"] = state, ["param_groups"] = groups };
    }

    /// <summary>
    /// Restores a state dict (as <see cref="Capture"/> wrote it, loaded by PyBridge's unpickler) into an
    /// optimizer built over the same parameters in the same order. Tensors are copied into the optimizer's
    /// own tensors (or new ones on the parameter's device); the source keeps its tensors.
    /// </summary>
    /// <exception cref="InvalidDataException">The state does not fit this optimizer (other type, group or parameter counts, shapes).</exception>
    public static void Restore(OptimizerHelper optimizer, IDictionary saved)
    {
        var sd = optimizer.state_dict();
        var groups = saved["param_groups"] as IList ?? throw Bad("no 'param_groups' list");
        var states = saved["state"] as IDictionary ?? throw Bad("no 'state' dict");
        if (groups.Count != sd.Options.Count)
            throw Bad($"{groups.Count} parameter groups saved, the optimizer has {sd.Options.Count}");

        var savedKeyOfState = new Dictionary<int, int>();
        for (int g = 0; g < groups.Count; g++)
        {
            var group = groups[g] as IDictionary ?? throw Bad($"param_groups[{g}] is not a dict");
            var saveIdx = group["params"] as IList ?? throw Bad($"param_groups[{g}] has no 'params' list");
            var targetIdx = sd.StateIndexRef[g];
            if (saveIdx.Count != targetIdx.Count)
                throw Bad($"param_groups[{g}] holds {saveIdx.Count} parameters, the optimizer's group {targetIdx.Count}");
            for (int k = 0; k < targetIdx.Count; k++) savedKeyOfState[targetIdx[k]] = System.Convert.ToInt32(saveIdx[k]);
            RestoreOptions(sd.Options[g], group, g);
        }

        for (int i = 0; i < sd.State.Count; i++)
        {
            int key = savedKeyOfState[i];
            var entry = states.Contains(key) ? states[key] as IDictionary : null;
            if (entry is null || entry.Count == 0)
            {
                sd.State[i].Initialize(sd.Options[GroupOf(sd, i)]); // PyTorch keeps no state for a parameter never stepped
                continue;
            }
            RestoreState(sd.State[i], entry, key);
        }
    }

    private static void RestoreOptions(OptimizerOptions options, IDictionary group, int g)
    {
        foreach (var member in MemberInfos(options))
        {
            object? value = member.Name switch
            {
                "LearningRate" => Required(group, "lr", g),
                "InitialLearningRate" => group.Contains("initial_lr") ? group["initial_lr"] : Required(group, "lr", g),
                "beta1" or "beta2" => (Required(group, "betas", g) as IList ?? throw Bad($"param_groups[{g}].betas is not a pair"))[member.Name == "beta1" ? 0 : 1],
                _ => Required(group, member.Name, g),
            };
            Set(options, member, FromPickle(value, MemberType(member), $"param_groups[{g}].{member.Name}"));
        }
    }

    private static void RestoreState(OptimizerState state, IDictionary entry, int key)
    {
        var device = DeviceOf(state);
        foreach (var member in MemberInfos(state))
        {
            string what = $"state[{key}].{member.Name}";
            if (!entry.Contains(member.Name)) throw Bad($"{what} is missing (saved by another optimizer type?)");
            object? value = entry[member.Name];
            if (MemberType(member) != typeof(Tensor))
            {
                object? number = value is Tensor t ? ScalarOf(t) : value;
                Set(state, member, FromPickle(number, MemberType(member), what));
                continue;
            }
            var current = (Tensor?)Get(state, member.Name);
            if (value is null)
            {
                if (current is not null) { current.Dispose(); Set(state, member, null); }
                continue;
            }
            var source = value as Tensor ?? throw Bad($"{what} is {value.GetType().Name}, expected a tensor");
            if (current is not null && !current.shape.SequenceEqual(source.shape))
                throw Bad($"{what} has shape [{string.Join(", ", source.shape)}], the optimizer's is [{string.Join(", ", current.shape)}]");
            if (current is not null)
            {
                using (no_grad()) current.copy_(source);
            }
            else
            {
                var copy = source.to(device, copy: true);
                copy.DetachFromDisposeScope();
                Set(state, member, copy);
            }
        }
    }

    private static int GroupOf(optim.Optimizer.StateDictionary sd, int stateIndex)
    {
        for (int g = 0; g < sd.StateIndexRef.Count; g++)
            if (sd.StateIndexRef[g].Contains(stateIndex)) return g;
        throw Bad($"state {stateIndex} belongs to no parameter group");
    }

    /// <summary>The device of the parameter this state belongs to: that of its first tensor, else its parameter's.</summary>
    private static Device DeviceOf(OptimizerState state)
    {
        foreach (var member in MemberInfos(state))
            if (Get(state, member.Name) is Tensor t) return t.device;
        var parameter = state.GetType().GetField("_parameter", BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(state) as Tensor;
        return parameter?.device ?? CPU;
    }

    /// <summary>PyTorch's representation of an optimizer step count: a float32 scalar tensor.</summary>
    internal static Tensor StepTensor(object step) => tensor((float)System.Convert.ToDouble(step), dtype: ScalarType.Float32);

    private static object ScalarOf(Tensor t)
    {
        if (t.NumberOfElements != 1) throw Bad($"a scalar was expected, got a tensor of shape [{string.Join(", ", t.shape)}]");
        bool floating = t.dtype is ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16;
        using var converted = t.to_type(floating ? ScalarType.Float64 : ScalarType.Int64);
        return floating ? converted.item<double>() : converted.item<long>();
    }

    /// <summary>A TorchSharp option/state value as a pickle value.</summary>
    private static object? ToPickle(object? value, string what) => value switch
    {
        null => null,
        double d => d,
        float f => (double)f,
        bool b => b,
        int i => i,
        long l => PickleValues.Int(l, what),
        string s => s,
        Tensor t => t,
        _ => throw new NotSupportedException($"optimizer value {what} of type {value.GetType().Name} cannot be saved"),
    };

    private static object? FromPickle(object? value, Type type, string what)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (value is null)
            return !type.IsValueType || Nullable.GetUnderlyingType(type) is not null ? null : throw Bad($"{what} is None, expected {target.Name}");
        try { return System.Convert.ChangeType(value, target, System.Globalization.CultureInfo.InvariantCulture); }
        catch (Exception e) when (e is InvalidCastException or FormatException or OverflowException)
        {
            throw Bad($"{what} is {value} ({value.GetType().Name}), expected {target.Name}");
        }
    }

    private static object? Required(IDictionary group, string key, int g) =>
        group.Contains(key) ? group[key] : throw Bad($"param_groups[{g}] has no '{key}' (saved by another optimizer type?)");

    /// <summary>Public fields, then public properties, in declaration order (as PyBridge reflects them).</summary>
    private static IEnumerable<MemberInfo> MemberInfos(object o) =>
        o.GetType().GetFields(Public).Cast<MemberInfo>()
            .Concat(o.GetType().GetProperties(Public).Where(p => p.GetIndexParameters().Length == 0));

    private static IEnumerable<(string Name, object? Value)> Members(object o) =>
        MemberInfos(o).Select(m => (m.Name, Get(o, m.Name)));

    private static Type MemberType(MemberInfo m) => m is FieldInfo f ? f.FieldType : ((PropertyInfo)m).PropertyType;

    private static object? Get(object o, string name) =>
        (object?)o.GetType().GetField(name, Public)?.GetValue(o) ?? o.GetType().GetProperty(name, Public)?.GetValue(o);

    private static void Set(object o, MemberInfo m, object? value)
    {
        if (m is FieldInfo f) f.SetValue(o, value);
        else ((PropertyInfo)m).SetValue(o, value);
    }

    private static InvalidDataException Bad(string message) => new($"optimizer state does not fit: {message}");
}
