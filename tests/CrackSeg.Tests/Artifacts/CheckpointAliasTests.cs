using CrackSeg.Artifacts;
using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Tests.TestSupport;
using static CrackSeg.Tests.Artifacts.ArtifactFixtures;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Artifacts;

/// <summary>
/// checkpoints/model_best.pth and model_latest.pth (the names the Python reporting module looks up): the
/// same files as best_model.pth and the newest epoch_N.pth through saving, pruning, crash recovery and
/// verification.
/// </summary>
public class CheckpointAliasTests
{
    private static string ModelBest(ExperimentFolder f) => CheckpointAliases.ModelBest(f);
    private static string ModelLatest(ExperimentFolder f) => CheckpointAliases.ModelLatest(f);

    /// <summary>True when both names are one file: a byte appended through one shows through the other (then removed).</summary>
    private static bool SameFile(string a, string b)
    {
        long before = new FileInfo(b).Length;
        using (var s = new FileStream(a, FileMode.Append)) s.WriteByte(0);
        bool same = new FileInfo(b).Length == before + 1;
        using (var s = new FileStream(a, FileMode.Open)) s.SetLength(s.Length - 1);
        return same;
    }

    [Fact]
    public void TheyAreHardLinksToTheBestAndNewestCheckpointsThroughPruning()
    {
        using var tmp = new TempDir();
        var folder = ExperimentFolder.Create(tmp.Path, "unit", DateTimeOffset.Now);
        var store = new CheckpointStore(folder, new CheckpointConfig { Every = 1, KeepLast = 2 }, RunLog.Silent);
        using var net = new TinyNet();
        var opt = optim.AdamW(net.parameters(), 1e-3);
        for (int e = 1; e <= 5; e++)
        {
            TrainStep(net, opt, e);
            store.SaveEpoch(CheckpointOf(net, opt, Records(e), e), isBest: e is 1 or 3);
            Assert.True(SameFile(folder.EpochCheckpoint(e), ModelLatest(folder)), $"model_latest.pth after epoch {e}");
            Assert.True(SameFile(folder.CheckpointBestModel, ModelBest(folder)), $"model_best.pth after epoch {e}");
        }
        Assert.Equal([4, 5], folder.EpochCheckpoints().Select(c => c.Epoch)); // keep_last pruned 1..3
        using (var latest = CheckpointStore.Load(ModelLatest(folder))) Assert.Equal(5, latest.Epoch);
        using (var best = CheckpointStore.Load(ModelBest(folder))) Assert.Equal(3, best.Epoch);
        Assert.Empty(Directory.EnumerateFiles(folder.Root, "*.tmp", SearchOption.AllDirectories));
        Assert.Empty(CheckpointAliases.Problems(folder));
    }

    [Fact]
    public void LinkingAgainOntoTheSameFileLeavesNoTempFile()
    {
        using var tmp = new TempDir();
        string source = tmp.File("a.pth", "checkpoint bytes"), alias = Path.Combine(tmp.Path, "b.pth");
        CheckpointAliases.Link(source, alias);
        CheckpointAliases.Link(source, alias); // rename(2) of a name onto the same file is a no-op
        Assert.Equal(["a.pth", "b.pth"], Directory.EnumerateFiles(tmp.Path).Select(Path.GetFileName).Order());
        Assert.True(SameFile(source, alias));
    }

    [Fact]
    public void CrashRecoveryRepointsAliasesThatAKillLeftBehindOrThatAnOlderFolderLacks()
    {
        using var tmp = new TempDir();
        string dir = BuildValidFolder(tmp.Path, epochs: 3, peak: 2);
        var folder = ExperimentFolder.Open(dir);
        File.Delete(ModelLatest(folder));                                         // a folder written before the aliases
        // A kill after a new best, before its link. (Delete first: writing into a hard link in place would
        // change best_model.pth too, which is why every writer here replaces files instead.)
        File.Delete(ModelBest(folder));
        File.Copy(folder.EpochCheckpoint(3), ModelBest(folder));
        var problems = ArtifactVerifier.Verify(dir);
        Assert.Contains(problems, p => p.StartsWith("checkpoints/model_latest.pth: missing", StringComparison.Ordinal));
        Assert.Contains("checkpoints/model_best.pth: differs from checkpoints/best_model.pth", problems);

        using (var resumed = CheckpointStore.Load(folder.EpochCheckpoint(3)))
            CrashRecovery.RestoreBestModel(folder, resumed, RunLog.Silent);
        Assert.Empty(ArtifactVerifier.Verify(dir));
        Assert.True(SameFile(folder.EpochCheckpoint(3), ModelLatest(folder)));
        Assert.True(SameFile(folder.CheckpointBestModel, ModelBest(folder)));
    }

    [Fact]
    public void AResumeLeavesCorrectAliasesAlone()
    {
        using var tmp = new TempDir();
        var folder = ExperimentFolder.Open(BuildValidFolder(tmp.Path, epochs: 2));
        // A resume must not write to a folder it only reads until the next epoch (it may be read-only).
        Assert.Empty(CheckpointAliases.Sync(folder, RunLog.Silent, keepEqual: true));
        File.Delete(ModelLatest(folder));
        Assert.Equal([ModelLatest(folder)], CheckpointAliases.Sync(folder, RunLog.Silent, keepEqual: true));
        Assert.Equal(2, CheckpointAliases.Sync(folder, RunLog.Silent).Count); // after a save: both re-linked
    }

    [Fact]
    public void AnAliasWhoseFileIsGoneIsRemoved()
    {
        using var tmp = new TempDir();
        string dir = BuildValidFolder(tmp.Path, epochs: 2);
        var folder = ExperimentFolder.Open(dir);
        Assert.True(File.Exists(ModelBest(folder)));
        File.Delete(folder.CheckpointBestModel);
        CheckpointAliases.Sync(folder, RunLog.Silent);
        Assert.False(File.Exists(ModelBest(folder)));
        Assert.True(File.Exists(ModelLatest(folder)));
    }
}
