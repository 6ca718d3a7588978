using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Training.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Training;

public class LossTests
{
    private const int N = 3, H = 4, W = 5, P = H * W;

    private static (float[] x, float[] y) RandomData(int seed, bool softTargets = false)
    {
        var rng = new Random(seed);
        var x = new float[N * P];
        var y = new float[N * P];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(rng.NextDouble() * 12 - 6);
            y[i] = softTargets ? (float)rng.NextDouble() : (rng.NextDouble() < 0.3 ? 1f : 0f);
        }
        for (int i = 0; i < P; i++) y[2 * P + i] = 0f;  // the last image has no crack
        return (x, y);
    }

    private static Tensor T(float[] v) => tensor(v, new long[] { N, 1, H, W });
    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
    private static double Value(Tensor t) => t.to(ScalarType.Float64).item<double>();

    // References: plain double loops over the definitions.
    private static double RefBce(float[] x, float[] y, double w)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double p = Sigmoid(x[i]);
            s += -(w * y[i] * Math.Log(p) + (1 - y[i]) * Math.Log(1 - p));
        }
        return s / x.Length;
    }

    private static double RefFocal(float[] x, float[] y, double alpha, double gamma)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double p = Sigmoid(x[i]);
            double ce = -(y[i] * Math.Log(p) + (1 - y[i]) * Math.Log(1 - p));
            double pt = p * y[i] + (1 - p) * (1 - y[i]);
            double at = alpha * y[i] + (1 - alpha) * (1 - y[i]);
            s += at * Math.Pow(1 - pt, gamma) * ce;
        }
        return s / x.Length;
    }

    private static double RefDice(float[] x, float[] y, double smooth)
    {
        double total = 0;
        for (int n = 0; n < N; n++)
        {
            double inter = 0, sp = 0, sy = 0;
            for (int i = n * P; i < (n + 1) * P; i++) { double p = Sigmoid(x[i]); inter += p * y[i]; sp += p; sy += y[i]; }
            total += (2 * inter + smooth) / (sp + sy + smooth);
        }
        return 1 - total / N;
    }

    private static double RefTversky(float[] x, float[] y, double a, double b, double smooth)
    {
        double total = 0;
        for (int n = 0; n < N; n++)
        {
            double tp = 0, fp = 0, fn = 0;
            for (int i = n * P; i < (n + 1) * P; i++)
            {
                double p = Sigmoid(x[i]);
                tp += p * y[i]; fp += p * (1 - y[i]); fn += (1 - p) * y[i];
            }
            total += (tp + smooth) / (tp + a * fp + b * fn + smooth);
        }
        return 1 - total / N;
    }

    [Theory]
    [InlineData(1.0, false)]
    [InlineData(3.5, false)]
    [InlineData(2.0, true)]
    public void BceMatchesReferenceAndPyTorchsFunctional(double posWeight, bool soft)
    {
        using var scope = NewDisposeScope();
        var (x, y) = RandomData(1, soft);
        var loss = Value(new BceLoss(posWeight).call(T(x), T(y)));
        Assert.Equal(RefBce(x, y, posWeight), loss, 5);
        var torchLoss = nn.functional.binary_cross_entropy_with_logits(T(x), T(y), null, nn.Reduction.Mean, tensor(new[] { (float)posWeight }));
        Assert.Equal(Value(torchLoss), loss, 5);
    }

    [Theory]
    [InlineData(0.25, 2.0, false)]
    [InlineData(0.5, 0.0, false)]
    [InlineData(0.8, 1.5, true)]
    public void FocalMatchesReference(double alpha, double gamma, bool soft)
    {
        using var scope = NewDisposeScope();
        var (x, y) = RandomData(2, soft);
        Assert.Equal(RefFocal(x, y, alpha, gamma), Value(new FocalLoss(alpha, gamma).call(T(x), T(y))), 5);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.0)]
    public void DiceIsPerSampleAndMatchesReference(double smooth)
    {
        using var scope = NewDisposeScope();
        var (x, y) = RandomData(3);
        double loss = Value(new DiceLoss(smooth).call(T(x), T(y)));
        Assert.Equal(RefDice(x, y, smooth), loss, 5);
        // Per sample differs from one Dice over the whole batch: make sure we are not computing that.
        double inter = 0, sp = 0, sy = 0;
        for (int i = 0; i < x.Length; i++) { double p = Sigmoid(x[i]); inter += p * y[i]; sp += p; sy += y[i]; }
        Assert.True(Math.Abs(loss - (1 - (2 * inter + smooth) / (sp + sy + smooth))) > 1e-3);
    }

    [Fact]
    public void TverskyMatchesReferenceAndReducesToDice()
    {
        using var scope = NewDisposeScope();
        var (x, y) = RandomData(4);
        Assert.Equal(RefTversky(x, y, 0.3, 0.7, 1.0), Value(new TverskyLoss(0.3, 0.7, 1.0).call(T(x), T(y))), 5);
        // (TP + s) / (TP + FP/2 + FN/2 + s) = (2TP + 2s) / (2TP + FP + FN + 2s): Dice with twice the smoothing.
        Assert.Equal(RefDice(x, y, 2.0), Value(new TverskyLoss(0.5, 0.5, 1.0).call(T(x), T(y))), 5);
    }

    [Fact]
    public void FactoryBuildsEveryConfiguredLossWithItsWeights()
    {
        using var scope = NewDisposeScope();
        var (x, y) = RandomData(5);
        var cfg = new LossConfig();
        double Loss(string name, LossConfig? c = null) => Value(LossFactory.Create((c ?? cfg) with { Name = name }).call(T(x), T(y)));

        Assert.Equal(RefBce(x, y, 1.0), Loss("bce"), 5);
        Assert.Equal(RefBce(x, y, 4.0), Loss("bce", cfg with { PosWeight = 4.0 }), 5);
        Assert.Equal(RefDice(x, y, 1.0), Loss("dice"), 5);
        Assert.Equal(RefFocal(x, y, 0.25, 2.0), Loss("focal"), 5);
        Assert.Equal(0.6 * RefFocal(x, y, 0.25, 2.0) + 0.4 * RefDice(x, y, 1.0), Loss("focal_dice"), 5);
        Assert.Equal(0.6 * RefBce(x, y, 1.0) + 0.4 * RefDice(x, y, 1.0), Loss("bce_dice"), 5);
        Assert.Equal(0.3 * RefBce(x, y, 2.0) + 0.9 * RefDice(x, y, 1.0),
            Loss("bce_dice", cfg with { PrimaryWeight = 0.3, DiceWeight = 0.9, PosWeight = 2.0 }), 5);
        Assert.Equal(RefTversky(x, y, 0.3, 0.7, 1.0), Loss("tversky"), 5);

        Assert.Equal("focal_dice = 0.6·focal(alpha=0.25, gamma=2) + 0.4·dice(smooth=1)", LossFactory.Create(cfg).Describe());
        var ex = Assert.Throws<InputException>(() => LossFactory.Create(cfg with { Name = "lovasz" }));
        Assert.Contains("training.loss.name", ex.Message);
        var range = Assert.Throws<InputException>(() => LossFactory.Create(cfg with { Name = "focal_dice", FocalAlpha = 2 }));
        Assert.Equal("training.loss.focal_alpha = 2: expected in [0, 1]", range.Message);
        range = Assert.Throws<InputException>(() => LossFactory.Create(cfg with { Name = "tversky", TverskyBeta = -1 }));
        Assert.StartsWith("training.loss.tversky_beta = -1", range.Message);
    }

    [Fact]
    public void ExtremeLogitsGiveFiniteLossesAndGradients()
    {
        using var scope = NewDisposeScope();
        // Confidently wrong and confidently right pixels at |x| = 100 (float32 sigmoid saturates to 0 or 1).
        var x = tensor(new float[] { 100, -100, 100, -100, 0, 30 }, new long[] { 1, 1, 2, 3 });
        var y = tensor(new float[] { 0, 1, 1, 0, 1, 1 }, new long[] { 1, 1, 2, 3 });
        foreach (var name in OptionNames.Losses)
        {
            var logits = x.clone().requires_grad_(true);
            var loss = LossFactory.Create(new LossConfig { Name = name, PosWeight = 3 }).call(logits, y);
            loss.backward();
            Assert.True(float.IsFinite(loss.item<float>()), $"{name}: loss {loss.item<float>()}");
            Assert.True(logits.grad!.isfinite().all().item<bool>(), $"{name}: non-finite gradient");
        }
        // BCE of a confidently wrong pixel is its logit (100 here), exactly as in PyTorch.
        var bce = new BceLoss().call(tensor(100f).reshape(1, 1, 1, 1), zeros(1, 1, 1, 1));
        Assert.Equal(100f, bce.item<float>(), 4);
        // Focal keeps a tiny, non-zero weight for confident correct pixels (1 − p from sigmoid(−x)).
        var focal = new FocalLoss().call(tensor(30f).reshape(1, 1, 1, 1), ones(1, 1, 1, 1));
        Assert.True(focal.item<float>() > 0f);
    }

    [Fact]
    public void BceGradientIsSigmoidMinusTargetOverPixels()
    {
        using var scope = NewDisposeScope();
        var (x, y) = RandomData(6);
        var logits = T(x).requires_grad_(true);
        new BceLoss().call(logits, T(y)).backward();
        var g = logits.grad!.data<float>().ToArray();
        for (int i = 0; i < x.Length; i++) Assert.Equal((Sigmoid(x[i]) - y[i]) / x.Length, g[i], 6);
    }

    [Fact]
    public void LowPrecisionLogitsAreComputedInFloat32AndShapesAreChecked()
    {
        using var scope = NewDisposeScope();
        var (x, y) = RandomData(7);
        var bf16 = T(x).to(ScalarType.BFloat16);
        var loss = new DiceLoss().call(bf16, T(y));
        Assert.Equal(ScalarType.Float32, loss.dtype);
        Assert.Equal(0, loss.dim());
        Assert.Equal(RefDice(bf16.to(ScalarType.Float32).data<float>().ToArray(), y, 1.0), Value(loss), 5);
        Assert.Throws<ArgumentException>(() => new BceLoss().call(zeros(2, 1, 4, 4), zeros(2, 1, 4, 3)));
        Assert.Throws<ArgumentException>(() => new BceLoss().call(zeros(2, 2, 4, 4), zeros(2, 2, 4, 4)));
    }
}
