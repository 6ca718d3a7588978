using CrackSeg.Common;
using CrackSeg.Config;

namespace CrackSeg.Training;

/// <summary>
/// A resumed run must train the same model on the same data: any difference in the `model` or
/// `data` sections (or the seed) between the saved config.yaml and the requested one is an error
/// listing every difference. Raising training.epochs is the usual reason to resume and is allowed.
/// </summary>
public static class ConfigCompatibility
{
    public static void EnsureResumable(CrackSegConfig saved, CrackSegConfig requested, string savedPath)
    {
        var differences = new List<string>();
        // Compare what the model sections build: a preset name and its explicit fields are the same model.
        Compare("model", Explicit(saved), Explicit(requested), differences);
        Compare("data", saved.Data, requested.Data, differences);
        if (saved.Experiment.Seed != requested.Experiment.Seed)
            differences.Add($"experiment.seed: saved {saved.Experiment.Seed}, requested {requested.Experiment.Seed}");
        if (differences.Count > 0)
            throw new InputException($"cannot resume: the requested config differs from {savedPath} in the model or data it trains:\n  " +
                string.Join("\n  ", differences) + "\nStart a new experiment instead, or resume without these overrides.");
    }

    private static ModelConfig Explicit(CrackSegConfig config)
    {
        try { return Models.ModelSpec.Resolve(config.Model, config.Data.ImageSize).ToConfig(); }
        catch (InputException) { return config.Model; }
    }

    private static void Compare(string path, object saved, object requested, List<string> differences)
    {
        foreach (var (key, property) in ConfigKeys.PropertiesOf(saved.GetType()))
        {
            object? a = property.GetValue(saved), b = property.GetValue(requested);
            if (a is not null && b is not null && ConfigKeys.IsSection(property.PropertyType))
                Compare($"{path}.{key}", a, b, differences);
            else if (!Equals(a, b))
                differences.Add($"{path}.{key}: saved {ConfigBinder.Show(a)}, requested {ConfigBinder.Show(b)}");
        }
    }
}
