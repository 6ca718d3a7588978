using CrackSeg.Artifacts;
using CrackSeg.Common;
using CrackSeg.Config;

namespace CrackSeg.Training;

/// <summary>
/// Where a run starts: a new folder, or an existing folder and the checkpoint to continue from.
/// `--resume` alone takes the newest folder of experiment.name under experiment.output_dir;
/// `--resume DIR` that folder; `--resume FILE.pth` that checkpoint (and its folder when it lives in
/// one). The newest checkpoint that opens is used; a corrupt newest one falls back to the previous.
/// </summary>
public sealed record ResumePlan(CrackSegConfig Config, ExperimentFolder? Folder, string? Checkpoint)
{
    public static ResumePlan Resolve(TrainingRequest request, RunLog log)
    {
        var config = request.Config;
        if (request.Resume is null) return new ResumePlan(config, null, null);

        ExperimentFolder folder;
        string? checkpoint = null;
        if (request.Resume.Length == 0)
        {
            var newest = ExperimentFolder.FindNewest(config.Experiment.OutputDir, config.Experiment.Name)
                ?? throw new InputException($"--resume: no experiment folder named '*-{config.Experiment.Name}' under experiment.output_dir '{config.Experiment.OutputDir}'");
            folder = newest;
        }
        else if (File.Exists(request.Resume))
        {
            checkpoint = Path.GetFullPath(request.Resume);
            var parent = Path.GetDirectoryName(checkpoint)!;
            string candidate = Path.GetFileName(parent) == "checkpoints" ? Path.GetDirectoryName(parent)! : parent;
            folder = File.Exists(Path.Combine(candidate, "config.yaml"))
                ? ExperimentFolder.Open(candidate)
                : ExperimentFolder.Create(config.Experiment.OutputDir, config.Experiment.Name, DateTimeOffset.Now);
        }
        else if (Directory.Exists(request.Resume))
        {
            folder = ExperimentFolder.Open(request.Resume);
        }
        else throw new InputException($"--resume: '{request.Resume}' is neither an experiment folder nor a checkpoint file");

        if (File.Exists(folder.ConfigYaml))
        {
            var saved = ConfigLoader.LoadSaved(folder.ConfigYaml);
            ConfigCompatibility.EnsureResumable(saved, config, folder.ConfigYaml);
        }
        if (checkpoint is null)
        {
            using var latest = CheckpointStore.FindLatestValid(folder, log);
            checkpoint = latest?.SourcePath;
        }
        if (checkpoint is null)
            log.Warning($"--resume: {folder.Root} has no readable epoch checkpoint; training starts from epoch 1 in the same folder");
        return new ResumePlan(config, folder, checkpoint);
    }

    /// <summary>The config.yaml that belongs to a --resume target, if it has one.</summary>
    public static string? SavedConfigPath(string resumeTarget)
    {
        string dir = File.Exists(resumeTarget) ? Path.GetDirectoryName(Path.GetFullPath(resumeTarget))! : resumeTarget;
        if (Path.GetFileName(dir) == "checkpoints") dir = Path.GetDirectoryName(dir)!;
        string path = Path.Combine(dir, "config.yaml");
        return File.Exists(path) ? path : null;
    }
}
