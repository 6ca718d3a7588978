using static TorchSharp.torch;

namespace CrackSeg.Artifacts;

/// <summary>The verifier's checkpoint checks: every .pth opens with all keys, matches its epoch and the metrics, holds finite weights.</summary>
internal static class CheckpointChecks
{
    public static void Check(ExperimentFolder folder, IReadOnlyList<(int Epoch, double? TrainLoss)> lines, int? bestEpoch, int every, List<string> problems)
    {
        var epochFiles = folder.EpochCheckpoints();
        int n = lines.Count;
        if (n >= every && epochFiles.Count == 0)
            problems.Add($"checkpoints/: no epoch_<N>.pth although {n} epochs finished (training.checkpoint.every {every})");
        else if (epochFiles.Count > 0)
        {
            int newest = epochFiles[^1].Epoch;
            int expected = n / every * every;
            if (newest != n && newest != expected)
                problems.Add($"checkpoints/: newest epoch checkpoint is epoch_{newest}.pth, expected epoch_{expected}.pth{(expected != n ? $" or epoch_{n}.pth" : "")} after {n} epochs");
        }
        foreach (var (epoch, path) in epochFiles)
            CheckFile(path, $"checkpoints/epoch_{epoch}.pth", epoch, lines, problems);

        if (bestEpoch is int best)
        {
            CheckFile(folder.CheckpointBestModel, "checkpoints/best_model.pth", best, lines, problems);
            CheckFile(folder.BestModel, "best_model.pth", best, lines, problems);
            if (File.Exists(folder.BestModel) && File.Exists(folder.CheckpointBestModel) && !CrashRecovery.SameBytes(folder.BestModel, folder.CheckpointBestModel))
                problems.Add("best_model.pth: differs from checkpoints/best_model.pth");
        }
        problems.AddRange(CheckpointAliases.Problems(folder));
    }

    private static void CheckFile(string path, string name, int epoch, IReadOnlyList<(int Epoch, double? TrainLoss)> lines, List<string> problems)
    {
        if (!File.Exists(path)) { problems.Add($"{name}: missing"); return; }
        Checkpoint checkpoint;
        try { checkpoint = CheckpointStore.Load(path); }
        catch (CheckpointException e) { problems.Add($"{name}: {e.Message}"); return; }
        using (checkpoint)
        {
            if (checkpoint.Epoch != epoch) problems.Add($"{name}: holds epoch {checkpoint.Epoch}, expected {epoch}");
            if (checkpoint.Epoch > lines.Count)
                problems.Add($"{name}: epoch {checkpoint.Epoch} is beyond the {lines.Count} epochs of metrics.jsonl");
            if (checkpoint.History.Count != checkpoint.Epoch)
                problems.Add($"{name}: history holds {checkpoint.History.Count} epochs, expected {checkpoint.Epoch}");
            foreach (var h in checkpoint.History.Where(h => h.Epoch >= 1 && h.Epoch <= lines.Count))
            {
                if (lines[h.Epoch - 1].Epoch == h.Epoch && lines[h.Epoch - 1].TrainLoss != h.TrainLoss)
                {
                    problems.Add($"{name}: history epoch {h.Epoch} train_loss {h.TrainLoss} differs from metrics.jsonl's {lines[h.Epoch - 1].TrainLoss}");
                    break;
                }
            }
            if (checkpoint.ModelState.Count == 0) problems.Add($"{name}: model_state_dict is empty");
            var bad = checkpoint.ModelState.Where(kv => !AllFinite(kv.Value)).Select(kv => kv.Key).ToList();
            if (bad.Count > 0) problems.Add($"{name}: non-finite values in {string.Join(", ", bad.Take(5))}{(bad.Count > 5 ? $" and {bad.Count - 5} more" : "")}");
        }
    }

    private static bool AllFinite(Tensor t)
    {
        if (!t.is_floating_point()) return true;
        using var scope = NewDisposeScope();
        return isfinite(t).all().item<bool>();
    }
}
