namespace CrackSeg.Data;

/// <summary>How a dataset root is organised and where its split comes from.</summary>
public enum DatasetLayout
{
    /// <summary>(a) root/images + root/masks, split by <c>data.splits</c> and the seed.</summary>
    Flat,
    /// <summary>(b) root/{train,val,test}/{images,masks}: the folders are the split.</summary>
    SplitFolders,
    /// <summary>(c) root/images + root/masks with explicit stem lists from <c>data.split_file</c>.</summary>
    SplitFile,
}

/// <summary>Layout keys as written in splits.json, and their descriptions for reports.</summary>
public static class DatasetLayouts
{
    public static string ToKey(this DatasetLayout layout) => layout switch
    {
        DatasetLayout.Flat => "flat",
        DatasetLayout.SplitFolders => "split_folders",
        _ => "split_file",
    };

    public static DatasetLayout? Parse(string? key) => key switch
    {
        "flat" => DatasetLayout.Flat,
        "split_folders" => DatasetLayout.SplitFolders,
        "split_file" => DatasetLayout.SplitFile,
        _ => null,
    };

    public static string Describe(this DatasetLayout layout) => layout switch
    {
        DatasetLayout.Flat => "images/ + masks/, split by data.splits",
        DatasetLayout.SplitFolders => "train|val|test/{images,masks}",
        _ => "images/ + masks/, split by an explicit stem list",
    };
}
