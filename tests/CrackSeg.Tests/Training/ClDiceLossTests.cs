using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Metrics;
using CrackSeg.Training.Losses;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Training;

public class ClDiceLossTests
{
    private const int Size = 24;

    /// <summary>Binary N×1×24×24 masks from per-image pixel predicates.</summary>
    private static Tensor Masks(params Func<int, int, bool>[] images)
    {
        var v = new float[images.Length * Size * Size];
        for (int n = 0; n < images.Length; n++)
            for (int r = 0; r < Size; r++)
                for (int c = 0; c < Size; c++)
                    v[(n * Size + r) * Size + c] = images[n](r, c) ? 1f : 0f;
        return tensor(v, new long[] { images.Length, 1, Size, Size });
    }

    /// <summary>Logits that saturate float32's sigmoid to the mask (±40).</summary>
    private static Tensor Saturated(Tensor mask) => mask.Times(80).Minus(40);

    [Fact]
    public void OnBinaryPredictionsTheLossIsOneMinusTheClDiceMetric()
    {
        using var scope = NewDisposeScope();
        var target = Masks(
            (r, c) => r is >= 10 and <= 12 && c is >= 2 and <= 21,          // a 3-px horizontal crack
            (r, c) => Math.Abs(r - c) <= 1 && r is >= 3 and <= 20,            // a diagonal one
            (r, c) => c is >= 11 and <= 12 && r is >= 1 and <= 22);           // a 2-px vertical one
        var predicted = Masks(
            (r, c) => r is >= 11 and <= 13 && c is >= 5 and <= 23,          // shifted and shorter
            (r, c) => Math.Abs(r - c) <= 2 && r is >= 3 and <= 14,            // too wide, half missing
            (r, c) => (c is >= 11 and <= 12 && r is >= 1 and <= 22) || (r is >= 2 and <= 5 && c is >= 2 and <= 5)); // plus a blob

        double loss = new ClDiceLoss(iterations: 10, smooth: 0).call(Saturated(predicted), target).item<float>();

        double metric = ThinStructureMetrics.ClDicePerImage(predicted, target, iterations: 10).Average();
        Assert.InRange(metric, 0.3, 0.95);  // the cases are neither trivial nor perfect
        Assert.Equal(1 - metric, loss, 5);
    }

    [Fact]
    public void APerfectPredictionScoresZeroAndAMissedThinCrackScoresByItsSkeletonLength()
    {
        using var scope = NewDisposeScope();
        var target = Masks((r, c) => r == 7 && c is >= 2 and <= 21);  // 1 px wide, 20 px long: skeleton = itself
        var loss = new ClDiceLoss(iterations: 10, smooth: 1);

        Assert.Equal(0.0, loss.call(Saturated(target), target).item<float>(), 5);
        // Nothing predicted: Tprec = (0 + 1)/(0 + 1) = 1, Tsens = (0 + 1)/(20 + 1), clDice = 2·Tsens/(1 + Tsens) = 2/22.
        Assert.Equal(1 - 2.0 / 22, loss.call(full_like(target, -40f), target).item<float>(), 5);
    }

    [Fact]
    public void ItsGradientAsksForTheMissedCentreLineAndIsFiniteAtExtremeLogits()
    {
        using var scope = NewDisposeScope();
        var target = Masks((r, c) => r is >= 9 and <= 11 && c is >= 2 and <= 21);
        var logits = zeros(1, 1, Size, Size).requires_grad_(true);
        new ClDiceLoss().call(logits, target).backward();
        var grad = logits.grad!;
        Assert.True(grad.isfinite().all().item<bool>());
        Assert.True(grad[0, 0, 10, 10].item<float>() < 0, "raising the centre line's logit must lower the loss");

        var extreme = Saturated(target).Times(2.5).requires_grad_(true);  // ±100
        var value = new ClDiceLoss().call(extreme, target);
        value.backward();
        Assert.True(float.IsFinite(value.item<float>()));
        Assert.True(extreme.grad!.isfinite().all().item<bool>());
    }

    [Fact]
    public void TheFactoryAddsTheWeightedTermToAnyLossAndNamesBadKeys()
    {
        using var scope = NewDisposeScope();
        var target = Masks((r, c) => r is >= 9 and <= 11 && c is >= 2 and <= 21, (r, c) => Math.Abs(r - c) <= 1);
        using var generator = new Generator(3);
        var logits = randn(2, 1, Size, Size, generator: generator).Times(3);
        var cfg = new LossConfig { Name = "bce_dice", PosWeight = 3, PrimaryWeight = 0.5, DiceWeight = 0.5 };
        double Value(LossConfig c) => LossFactory.Create(c).call(logits, target).item<float>();

        double expected = Value(cfg) + 0.25 * new ClDiceLoss(iterations: 5).call(logits, target).item<float>();
        var combined = cfg with { CldiceWeight = 0.25, CldiceIterations = 5 };
        Assert.Equal(expected, Value(combined), 5);
        Assert.StartsWith("bce_dice+cldice = 1·bce_dice = ", LossFactory.Create(combined).Describe());
        Assert.EndsWith("+ 0.25·cldice(iterations=5, smooth=1)", LossFactory.Create(combined).Describe());
        Assert.Equal("bce_dice", LossFactory.Create(cfg).GetName());  // weight 0: no term, the loss unchanged

        var bad = Assert.Throws<InputException>(() => LossFactory.Create(combined with { CldiceIterations = 0 }));
        Assert.StartsWith("training.loss.cldice_iterations = 0", bad.Message);
    }
}
