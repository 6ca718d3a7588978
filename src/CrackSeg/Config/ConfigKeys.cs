using System.Reflection;
using YamlDotNet.Serialization.NamingConventions;

namespace CrackSeg.Config;

/// <summary>The one naming rule between C# records and YAML keys: PascalCase property ↔ snake_case key.</summary>
internal static class ConfigKeys
{
    public static string KeyOf(PropertyInfo property) => UnderscoredNamingConvention.Instance.Apply(property.Name);

    /// <summary>Bindable properties of a config record, keyed by their YAML name, in declaration order.</summary>
    public static IReadOnlyList<(string Key, PropertyInfo Property)> PropertiesOf(Type recordType) =>
        recordType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract")
            .OrderBy(p => p.MetadataToken)
            .Select(p => (KeyOf(p), p))
            .ToList();

    public static bool IsSection(Type type) =>
        type.IsClass && type != typeof(string) && type.Namespace == typeof(ConfigKeys).Namespace && !IsList(type);

    public static bool IsList(Type type) => type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ValueArray<>);

    /// <summary>The closest known key, for "did you mean" (edit distance ≤ 3, or a shared prefix).</summary>
    public static string? Suggest(string unknown, IEnumerable<string> known)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var candidate in known)
        {
            int d = EditDistance(unknown.ToLowerInvariant(), candidate);
            if (d < bestDistance) { best = candidate; bestDistance = d; }
        }
        return bestDistance <= Math.Max(2, unknown.Length / 3) ? best : null;
    }

    private static int EditDistance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
