namespace CrackSeg.Config;

/// <summary>
/// `data.dataset` when it is not set: the name of the data root's folder (`data/CrackForest` →
/// `CrackForest`), so that the saved config.yaml always names its dataset.
/// </summary>
public static class DatasetName
{
    /// <summary>The root's last path segment; for a root such as "." or "/" the full path's last segment, or "dataset".</summary>
    public static string Of(string root)
    {
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(root.Trim()));
        if (name is "" or "." or "..") name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(root.Trim().Length == 0 ? "." : root)));
        return name.Length > 0 ? name : "dataset";
    }

    /// <summary><paramref name="config"/> with `data.dataset` filled in from the root when unset.</summary>
    public static CrackSegConfig Resolve(CrackSegConfig config) =>
        config.Data.Dataset is { Length: > 0 } ? config : config with { Data = config.Data with { Dataset = Of(config.Data.Root) } };
}
