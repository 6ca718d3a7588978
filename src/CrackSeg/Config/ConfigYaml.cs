using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace CrackSeg.Config;

/// <summary>Writes a resolved config as plain YAML (the experiment's config.yaml); ConfigLoader reads it back to an equal record.</summary>
public static class ConfigYaml
{
    public static string Serialize(CrackSegConfig config)
    {
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        var emitter = new Emitter(writer);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart());
        EmitRecord(emitter, config);
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        return writer.ToString();
    }

    private static void EmitRecord(IEmitter emitter, object record)
    {
        emitter.Emit(new MappingStart());
        foreach (var (key, property) in ConfigKeys.PropertiesOf(record.GetType()))
        {
            object? value = property.GetValue(record);
            if (value is null) continue; // absent = default (null), so omitting keeps the round trip exact
            emitter.Emit(new Scalar(key));
            if (ConfigKeys.IsSection(property.PropertyType)) EmitRecord(emitter, value);
            else if (value is System.Collections.IEnumerable list && value is not string)
            {
                emitter.Emit(new SequenceStart(null, null, true, SequenceStyle.Flow));
                foreach (var item in list) EmitScalar(emitter, item);
                emitter.Emit(new SequenceEnd());
            }
            else EmitScalar(emitter, value);
        }
        emitter.Emit(new MappingEnd());
    }

    /// <summary>Shortest round-trip text, in YAML 1.1 float form (PyYAML reads "1E-06" as a string, "1.0e-06" as a float).</summary>
    internal static string YamlFloat(double d)
    {
        string r = d.ToString("R", CultureInfo.InvariantCulture);
        int e = r.IndexOfAny(['E', 'e']);
        string mantissa = e < 0 ? r : r[..e], exponent = e < 0 ? "" : "e" + r[(e + 1)..];
        if (!mantissa.Contains('.')) mantissa += ".0";
        if (exponent.Length > 1 && exponent[1] != '-' && exponent[1] != '+') exponent = "e+" + exponent[1..];
        return mantissa + exponent;
    }

    private static void EmitScalar(IEmitter emitter, object? value)
    {
        switch (value)
        {
            case string s:
                bool plainIsAmbiguous = s.Length == 0 || s is "~" or "null" or "true" or "false" || double.TryParse(s, CultureInfo.InvariantCulture, out _);
                emitter.Emit(new Scalar(null, null, s, plainIsAmbiguous ? ScalarStyle.DoubleQuoted : ScalarStyle.Any, true, true));
                break;
            case bool b: emitter.Emit(new Scalar(b ? "true" : "false")); break;
            case double d: emitter.Emit(new Scalar(YamlFloat(d))); break;
            case IFormattable f: emitter.Emit(new Scalar(f.ToString(null, CultureInfo.InvariantCulture))); break;
            default: emitter.Emit(new Scalar(value?.ToString() ?? "~")); break;
        }
    }
}
