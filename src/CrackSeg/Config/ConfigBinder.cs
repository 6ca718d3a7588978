using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace CrackSeg.Config;

/// <summary>
/// Binds an <see cref="IConfiguration"/> onto immutable config records, starting from each record's
/// defaults. Written instead of ConfigurationBinder because that binder appends list items to a
/// default list (data.splits would become five ratios) and cannot say where a bad value came from.
/// Unknown keys, wrong types and out-of-range values each give a <see cref="ConfigException"/>
/// naming the key, its source and line.
/// </summary>
internal sealed class ConfigBinder
{
    private readonly Func<string, (string Source, int? Line)> _origin;

    public ConfigBinder(Func<string, (string Source, int? Line)> origin) => _origin = origin;

    public T Bind<T>(IConfiguration configuration) where T : class, new() =>
        (T)BindSection(typeof(T), configuration.GetChildren(), new T(), path: "");

    private object BindSection(Type type, IEnumerable<IConfigurationSection> children, object defaults, string path)
    {
        var properties = ConfigKeys.PropertiesOf(type);
        var byKey = properties.ToDictionary(p => p.Key, p => p.Property, StringComparer.Ordinal);
        object result = Clone(defaults);
        foreach (var child in children)
        {
            string keyPath = Join(path, child.Key);
            if (!byKey.TryGetValue(child.Key, out var property))
            {
                string? hint = ConfigKeys.Suggest(child.Key, byKey.Keys);
                string where = path.Length == 0 ? "at the top level" : $"in section '{path}'";
                throw Error(child.Path, $"unknown key '{keyPath}' {where}" +
                    (hint is null ? $"; known keys: {string.Join(", ", byKey.Keys)}" : $"; did you mean '{Join(path, hint)}'?"));
            }
            property.SetValue(result, BindValue(property, child, property.GetValue(result), keyPath));
        }
        Validate(result, properties, path);
        return result;
    }

    private object? BindValue(PropertyInfo property, IConfigurationSection section, object? current, string keyPath)
    {
        Type type = property.PropertyType;
        bool hasChildren = section.GetChildren().Any();
        if (ConfigKeys.IsSection(type))
        {
            if (!hasChildren && section.Value is not null)
                throw Error(section.Path, $"'{keyPath}' must be a section (a mapping of keys), got '{section.Value}'");
            return BindSection(type, section.GetChildren(), current ?? Activator.CreateInstance(type)!, keyPath);
        }
        if (ConfigKeys.IsList(type))
        {
            Type element = type.GetGenericArguments()[0];
            if (section.Value is null && !hasChildren) return IsNullable(property) ? null : throw Error(section.Path, $"'{keyPath}' must be a list, got null");
            if (!hasChildren && section.Value!.Length > 0)
                throw Error(section.Path, $"'{keyPath}' must be a list like [1, 2], got '{section.Value}'");
            var items = section.GetChildren()
                .Select(c => (Index: int.TryParse(c.Key, out var i) ? i : -1, Section: c))
                .OrderBy(c => c.Index)
                .Select(c => c.Index < 0
                    ? throw Error(c.Section.Path, $"'{keyPath}' must be a list, got a mapping")
                    : ConvertScalar(element, c.Section, $"{keyPath}[{c.Index}]"))
                .ToArray();
            var array = Array.CreateInstance(element, items.Length);
            for (int i = 0; i < items.Length; i++) array.SetValue(items[i], i);
            return Activator.CreateInstance(type, array);
        }
        if (hasChildren) throw Error(section.Path, $"'{keyPath}' must be a single value, got a mapping or list");
        if (section.Value is null)
            return IsNullable(property) ? null : throw Error(section.Path, $"'{keyPath}' must not be null");
        return ConvertScalar(Nullable.GetUnderlyingType(type) ?? type, section, keyPath);
    }

    private object ConvertScalar(Type type, IConfigurationSection section, string keyPath)
    {
        string raw = section.Value ?? "";
        object? value = type switch
        {
            _ when type == typeof(string) => raw,
            _ when type == typeof(int) => int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : null,
            _ when type == typeof(long) => long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : null,
            _ when type == typeof(double) => double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d : null,
            _ when type == typeof(bool) => raw.ToLowerInvariant() switch { "true" or "yes" or "on" => true, "false" or "no" or "off" => false, _ => null },
            _ => throw new NotSupportedException($"config type {type.Name} is not supported"),
        };
        return value ?? throw Error(section.Path, $"'{keyPath}' must be {Describe(type)}, got '{raw}'");
    }

    private void Validate(object record, IReadOnlyList<(string Key, PropertyInfo Property)> properties, string path)
    {
        foreach (var (key, property) in properties)
        {
            object? value = property.GetValue(record);
            foreach (var attribute in property.GetCustomAttributes<ValidationAttribute>())
            {
                var values = value is System.Collections.IEnumerable e && value is not string ? e.Cast<object?>() : [value];
                foreach (var v in values)
                {
                    if (attribute.IsValid(v)) continue;
                    string keyPath = Join(path, key);
                    throw Error(keyPath.Replace('.', ':'), $"'{keyPath}' = {Show(v)} is invalid: {Expectation(attribute)}");
                }
            }
        }
    }

    private ConfigException Error(string configPath, string message)
    {
        var (source, line) = _origin(configPath);
        string where = line is null ? source : $"{source}:{line}";
        return new ConfigException($"{where}: {message}", source, configPath.Replace(':', '.'), line);
    }

    private static string Expectation(ValidationAttribute attribute) => attribute switch
    {
        RangeAttribute r => $"allowed range is {r.Minimum}{Exclusive(r.MinimumIsExclusive)} to {r.Maximum}{Exclusive(r.MaximumIsExclusive)}",
        AllowedValuesAttribute a => "expected one of: " + string.Join(", ", a.Values),
        OneOfAttribute o => "expected one of: " + string.Join(", ", OptionNames.Of(o.List)),
        RegularExpressionAttribute x => "expected " + (x.ErrorMessage ?? $"a value matching {x.Pattern}"),
        RequiredAttribute => "a value is required",
        _ => attribute.FormatErrorMessage("value"),
    };

    private static string Exclusive(bool exclusive) => exclusive ? " (exclusive)" : "";

    private static string Describe(Type type) =>
        type == typeof(int) || type == typeof(long) ? "an integer" :
        type == typeof(double) ? "a finite number" :
        type == typeof(bool) ? "true or false" : "a " + type.Name;

    /// <summary>A config value as error messages quote it.</summary>
    internal static string Show(object? v) => v switch { null => "null", string s => $"'{s}'", IFormattable f => f.ToString(null, CultureInfo.InvariantCulture), _ => v.ToString() ?? "" };

    private static bool IsNullable(PropertyInfo property) =>
        Nullable.GetUnderlyingType(property.PropertyType) is not null ||
        new NullabilityInfoContext().Create(property).WriteState == NullabilityState.Nullable;

    private static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;

    private static object Clone(object record) =>
        typeof(object).GetMethod("MemberwiseClone", BindingFlags.Instance | BindingFlags.NonPublic)!.Invoke(record, null)!;
}
