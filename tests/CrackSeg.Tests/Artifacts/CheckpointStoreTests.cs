using System.Collections;
using System.IO.Compression;
using System.Text;
using CrackSeg.Artifacts;
using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Tests.TestSupport;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static CrackSeg.Tests.Artifacts.ArtifactFixtures;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Artifacts;

public class CheckpointStoreTests
{
    private static List<EpochRecord> History(int n) => Records(n);

    [Fact]
    public void ModelAndAdamWRoundTripBitExactAndTrainOnIdentically()
    {
        using var tmp = new TempDir();
        string path = Path.Combine(tmp.Path, "epoch_3.pth");
        manual_seed(11);
        using var net = new TinyNet();
        var opt = optim.AdamW(net.parameters(), 1e-3, weight_decay: 0.01);
        for (int s = 0; s < 3; s++) TrainStep(net, opt, s);
        opt.ParamGroups.First().LearningRate = 7.5e-4; // a closed-form LR set on the group is restored too
        CheckpointStore.Save(path, CheckpointOf(net, opt, History(3), globalStep: 3));

        manual_seed(99); // a different init: everything must come from the file
        using var restored = new TinyNet();
        var restoredOpt = optim.AdamW(restored.parameters(), 5e-2, weight_decay: 0.5);
        using (var ckpt = CheckpointStore.Load(path))
        {
            ModelStateCodec.Restore(restored, ckpt.ModelState, path);
            OptimizerStateCodec.Restore((OptimizerHelper)restoredOpt, ckpt.OptimizerState);
            Assert.Equal(3, ckpt.Epoch);
            Assert.Equal(3, ckpt.GlobalStep);
            Assert.Equal(History(3), ckpt.History);
            Assert.Equal(ConfigText, ckpt.ConfigYaml);
            Assert.Equal(7, ckpt.Seed);
            Assert.Equal(new EarlyStoppingState("val_iou", "max", History(3)[2].Validation!.Iou, 3, 0), ckpt.EarlyStopping);
            Assert.Equal(new PlateauState(null, 0, 1.0, 0), ckpt.Plateau);
            Assert.Equal(Checkpoint.MetricsOf(History(3)[2]), ckpt.Metrics);
        }
        AssertSameState(net, restored);
        AssertSameOptimizer(opt, restoredOpt);

        for (int s = 3; s < 6; s++) { TrainStep(net, opt, s); TrainStep(restored, restoredOpt, s); }
        AssertSameState(net, restored);
    }

    [Fact]
    public void SgdWithMomentumRoundTripsIncludingBuffersCreatedByTheFirstStep()
    {
        using var tmp = new TempDir();
        string path = Path.Combine(tmp.Path, "sgd.pth");
        using var net = new TinyNet();
        var opt = optim.SGD(net.parameters(), 0.1, momentum: 0.9, weight_decay: 1e-4);
        TrainStep(net, opt, 0);
        CheckpointStore.Save(path, CheckpointOf(net, opt, History(1), 1));
        using var restored = new TinyNet();
        var restoredOpt = optim.SGD(restored.parameters(), 0.5, momentum: 0.9, weight_decay: 1e-4);
        using (var ckpt = CheckpointStore.Load(path))
        {
            ModelStateCodec.Restore(restored, ckpt.ModelState, path);
            OptimizerStateCodec.Restore((OptimizerHelper)restoredOpt, ckpt.OptimizerState);
        }
        for (int s = 1; s < 3; s++) { TrainStep(net, opt, s); TrainStep(restored, restoredOpt, s); }
        AssertSameState(net, restored);
    }

    [Fact]
    public void OptimizerStateHasPyTorchsLayout()
    {
        using var net = new TinyNet();
        var opt = optim.AdamW(net.parameters(), 1e-3, weight_decay: 0.01);
        TrainStep(net, opt, 0);
        var sd = OptimizerStateCodec.Capture((OptimizerHelper)opt);
        Assert.Equal(["state", "param_groups"], sd.Keys.Cast<string>());
        var group = (IDictionary)((IList)sd["param_groups"]!)[0]!;
        Assert.Equal(["lr", "betas", "weight_decay", "eps", "amsgrad", "maximize", "initial_lr", "params"], group.Keys.Cast<string>());
        Assert.Equal(new object[] { 0.9, 0.999 }, (object[])group["betas"]!);
        int parameters = net.parameters().Count();
        Assert.Equal(Enumerable.Range(0, parameters).Cast<object>(), ((IList)group["params"]!).Cast<object>());
        var state0 = (IDictionary)((IDictionary)sd["state"]!)[0]!;
        Assert.Equal(["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"], state0.Keys.Cast<string>());
        Assert.Equal(1, state0["step"]); // a number here; written as a float32 scalar tensor like PyTorch
    }

    [Fact]
    public void FilesAreByteReproducibleWithKeysInOrderAndFixedZipTimes()
    {
        using var tmp = new TempDir();
        using var net = new TinyNet();
        var opt = optim.AdamW(net.parameters(), 1e-3);
        TrainStep(net, opt, 0);
        var ckpt = CheckpointOf(net, opt, History(1), 1);
        string a = Path.Combine(tmp.Path, "a.pth"), b = Path.Combine(tmp.Path, "b.pth");
        CheckpointStore.Save(a, ckpt);
        CheckpointStore.Save(b, ckpt);
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));

        using var zip = ZipFile.OpenRead(a);
        Assert.All(zip.Entries, e => Assert.Equal(new DateTime(1980, 1, 1), e.LastWriteTime.DateTime));
        using var pkl = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith("data.pkl")).Open(), Encoding.Latin1);
        string pickle = pkl.ReadToEnd();
        var keyPositions = new[] { "epoch", "global_step", "model_state_dict", "conv1.weight", "conv1.bias", "bn1.running_mean", "optimizer_state_dict", "param_groups", "metrics", "best_metric", "config_yaml", "history", "total_training_time" }
            .Select(k => pickle.IndexOf(k, StringComparison.Ordinal)).ToList();
        Assert.All(keyPositions, p => Assert.True(p >= 0));
        Assert.Equal(keyPositions.Order(), keyPositions);
    }

    [Fact]
    public void AFailedWriteKeepsThePreviousCheckpointAndNamesThePath()
    {
        using var tmp = new TempDir();
        string path = Path.Combine(tmp.Path, "best_model.pth");
        using var net = new TinyNet();
        var opt = optim.AdamW(net.parameters(), 1e-3);
        CheckpointStore.Save(path, CheckpointOf(net, opt, History(1), 1));
        byte[] before = File.ReadAllBytes(path);

        TrainStep(net, opt, 0);
        var e = Assert.Throws<ArtifactWriteException>(() =>
            CheckpointStore.Save(path, CheckpointOf(net, opt, History(2), 2), s => new FailingStream(s, failAfterBytes: 4096)));
        Assert.IsAssignableFrom<IOException>(e);
        Assert.Contains(path, e.Message);
        Assert.Contains("No space left on device", e.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.EnumerateFileSystemEntries(tmp.Path)); // the temp file is gone
        using (var ckpt = CheckpointStore.Load(path)) Assert.Equal(1, ckpt.Epoch);

        // A real filesystem failure: the checkpoints "folder" is a file.
        string blocked = Path.Combine(tmp.Path, "not-a-dir");
        File.WriteAllText(blocked, "x");
        var e2 = Assert.Throws<ArtifactWriteException>(() => CheckpointStore.Save(Path.Combine(blocked, "epoch_1.pth"), CheckpointOf(net, opt, History(1), 1)));
        Assert.Contains("epoch_1.pth", e2.Message);
    }

    [Fact]
    public void EpochFilesFollowEveryAndKeepLastAndBestModelsAreCopiesOfTheBest()
    {
        using var tmp = new TempDir();
        var folder = ExperimentFolder.Create(tmp.Path, "unit", DateTimeOffset.Now);
        var log = new CapturedLog();
        var store = new CheckpointStore(folder, new CheckpointConfig { Every = 2, KeepLast = 2 }, log.Log);
        using var net = new TinyNet();
        var opt = optim.AdamW(net.parameters(), 1e-3);
        for (int e = 1; e <= 7; e++)
        {
            TrainStep(net, opt, e);
            var written = store.SaveEpoch(CheckpointOf(net, opt, History(e), e), isBest: e == 3, forceEpochFile: e == 7);
            if (e == 3) Assert.Equal([folder.CheckpointBestModel, folder.BestModel], written);
            if (e == 4) Assert.Equal([folder.EpochCheckpoint(4)], written);
        }
        Assert.Equal([6, 7], folder.EpochCheckpoints().Select(c => c.Epoch));
        Assert.Equal(File.ReadAllBytes(folder.CheckpointBestModel), File.ReadAllBytes(folder.BestModel));
        using var best = CheckpointStore.Load(folder.BestModel);
        Assert.Equal(3, best.Epoch);
        Assert.Contains("saved checkpoints/epoch_7.pth", log.Text);
        Assert.Empty(Directory.EnumerateFiles(folder.Root, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void FindLatestValidFallsBackPastACorruptNewestWithAWarning()
    {
        using var tmp = new TempDir();
        var folder = ExperimentFolder.Create(tmp.Path, "unit", DateTimeOffset.Now);
        var store = new CheckpointStore(folder, new CheckpointConfig { Every = 1, KeepLast = 3 }, RunLog.Silent);
        using var net = new TinyNet();
        var opt = optim.AdamW(net.parameters(), 1e-3);
        for (int e = 1; e <= 3; e++) store.SaveEpoch(CheckpointOf(net, opt, History(e), e), isBest: false);
        var log = new CapturedLog();
        using (var latest = CheckpointStore.FindLatestValid(folder, log.Log)) Assert.Equal(3, latest!.Epoch);
        Assert.DoesNotContain("WARN", log.Text);

        byte[] bytes = File.ReadAllBytes(folder.EpochCheckpoint(3));
        File.WriteAllBytes(folder.EpochCheckpoint(3), bytes[..(bytes.Length / 2)]); // a crash mid-copy, a full disk
        using (var latest = CheckpointStore.FindLatestValid(folder, log.Log))
        {
            Assert.Equal(2, latest!.Epoch);
            Assert.Equal(folder.EpochCheckpoint(2), latest.SourcePath);
        }
        Assert.Contains("epoch_3.pth", log.Text);
        Assert.Contains("falling back", log.Text);

        File.WriteAllText(folder.EpochCheckpoint(2), "not a zip");
        File.Delete(folder.EpochCheckpoint(1));
        Assert.Null(CheckpointStore.FindLatestValid(folder, log.Log));
    }

    [Fact]
    public void LoadExplainsMissingKeysAndMissingFiles()
    {
        using var tmp = new TempDir();
        string path = Path.Combine(tmp.Path, "plain_state_dict.pth");
        using var net = new TinyNet();
        net.save_py(path); // a bare PyTorch state_dict, not a training checkpoint
        var e = Assert.Throws<CheckpointException>(() => CheckpointStore.Load(path));
        Assert.Contains("missing keys: epoch, global_step", e.Message);
        Assert.Contains(path, e.Message);
        Assert.Contains("file not found", Assert.Throws<CheckpointException>(() => CheckpointStore.Load(Path.Combine(tmp.Path, "none.pth"))).Message);
    }

    [Fact]
    public void RestoringIntoADifferentModelListsEveryDifference()
    {
        using var tmp = new TempDir();
        string path = Path.Combine(tmp.Path, "c.pth");
        using var net = new TinyNet(width: 4);
        CheckpointStore.Save(path, CheckpointOf(net, optim.AdamW(net.parameters()), History(1), 1));
        using var wider = new TinyNet(width: 6);
        using var ckpt = CheckpointStore.Load(path);
        var e = Assert.Throws<InputException>(() => ModelStateCodec.Restore(wider, ckpt.ModelState, path));
        Assert.Contains("conv1.weight: checkpoint [4, 3, 3, 3], model [6, 3, 3, 3]", e.Message);
        Assert.Contains("head.weight", e.Message);
        Assert.Contains(path, e.Message);
        var otherOpt = optim.AdamW(wider.parameters());
        Assert.Throws<InvalidDataException>(() => OptimizerStateCodec.Restore((OptimizerHelper)otherOpt, ckpt.OptimizerState));
        var sgd = optim.SGD(net.parameters(), 0.1, momentum: 0.9);
        Assert.Throws<InvalidDataException>(() => OptimizerStateCodec.Restore((OptimizerHelper)sgd, ckpt.OptimizerState));
    }

    [Fact]
    public void LargeTensorsViewsAndBf16SurviveTheRoundTrip()
    {
        using var tmp = new TempDir();
        string path = Path.Combine(tmp.Path, "big.pth");
        using var scope = NewDisposeScope();
        manual_seed(5);
        var big = randn(3_000_000);
        var view = randn(10, 10)[.., 3..7]; // non-contiguous view at a storage offset
        var half = randn(5, 5).to_type(ScalarType.BFloat16);
        var state = new Dictionary<string, Tensor> { ["big"] = big, ["view"] = view, ["half"] = half, ["count"] = tensor(42L) };
        CheckpointStore.Save(path, new Checkpoint
        {
            Epoch = 1, GlobalStep = 1, ModelState = state, OptimizerState = new System.Collections.Specialized.OrderedDictionary(),
            ConfigYaml = ConfigText, Seed = 1, History = History(1),
        });
        using var back = CheckpointStore.Load(path);
        foreach (var (name, t) in state)
        {
            Assert.Equal(t.shape, back.ModelState[name].shape);
            Assert.Equal(t.dtype, back.ModelState[name].dtype);
            Assert.True(t.contiguous().Equals(back.ModelState[name]), name);
        }
    }

    [Fact]
    public void ValuesThatWouldBreakWeightsOnlyLoadingAreRefused()
    {
        using var net = new TinyNet();
        var opt = optim.AdamW(net.parameters());
        var c = CheckpointOf(net, opt, History(1), 1);
        using var tmp = new TempDir();
        Assert.Throws<ArgumentOutOfRangeException>(() => CheckpointStore.Save(Path.Combine(tmp.Path, "x.pth"), new Checkpoint
        {
            Epoch = c.Epoch, GlobalStep = 3_000_000_000L, ModelState = c.ModelState, OptimizerState = c.OptimizerState, ConfigYaml = c.ConfigYaml, Seed = 1,
        }));
        Assert.Throws<ArgumentException>(() => CheckpointStore.Save(Path.Combine(tmp.Path, "y.pth"), new Checkpoint
        {
            Epoch = 1, GlobalStep = 1, ModelState = c.ModelState, OptimizerState = c.OptimizerState, ConfigYaml = c.ConfigYaml, Seed = 1, BestMetric = double.NaN,
        }));
        Assert.Empty(Directory.EnumerateFileSystemEntries(tmp.Path));
    }

    private static void AssertSameState(TinyNet expected, TinyNet actual)
    {
        var a = expected.state_dict();
        var b = actual.state_dict();
        Assert.Equal(a.Keys, b.Keys);
        foreach (var (name, t) in a) Assert.True(t.Equals(b[name]), $"{name} differs");
    }

    private static void AssertSameOptimizer(optim.Optimizer expected, optim.Optimizer actual)
    {
        var a = ((OptimizerHelper)expected).state_dict();
        var b = ((OptimizerHelper)actual).state_dict();
        for (int i = 0; i < a.State.Count; i++)
        {
            var sa = (TorchSharp.Modules.AdamW.State)a.State[i];
            var sb = (TorchSharp.Modules.AdamW.State)b.State[i];
            Assert.Equal(sa.step, sb.step);
            Assert.True(sa.exp_avg.Equals(sb.exp_avg));
            Assert.True(sa.exp_avg_sq.Equals(sb.exp_avg_sq));
        }
        var oa = (TorchSharp.Modules.AdamW.Options)a.Options[0];
        var ob = (TorchSharp.Modules.AdamW.Options)b.Options[0];
        Assert.Equal((oa.LearningRate, oa.InitialLearningRate, oa.beta1, oa.beta2, oa.eps, oa.weight_decay, oa.amsgrad, oa.maximize),
                     (ob.LearningRate, ob.InitialLearningRate, ob.beta1, ob.beta2, ob.eps, ob.weight_decay, ob.amsgrad, ob.maximize));
    }

    /// <summary>A stream that fails like a full disk after some bytes.</summary>
    private sealed class FailingStream(Stream inner, long failAfterBytes) : Stream
    {
        private long _written;
        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => inner.SetLength(value);
        public override void Write(byte[] buffer, int offset, int count)
        {
            if (_written + count > failAfterBytes) throw new IOException("No space left on device");
            inner.Write(buffer, offset, count);
            _written += count;
        }
    }
}
