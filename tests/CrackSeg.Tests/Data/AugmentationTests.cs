using CrackSeg.Config;
using CrackSeg.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Data;

public class AugmentationTests
{
    private static readonly AugmentConfig Everything = new()
    {
        Hflip = 0.5, Vflip = 0.5, Rot90 = 0.5, Scale = 0.5, ScaleMin = 0.6, ScaleMax = 1.5,
        Brightness = 0.7, BrightnessRange = 0.3, Contrast = 0.7, ContrastRange = 0.3, Gamma = 0.5, GammaRange = 0.3,
        Rotate = 0.5, RotateDegrees = 15,
    };

    private static readonly AugmentConfig GeometryOnly = Everything with { Brightness = 0, Contrast = 0, Gamma = 0 };

    /// <summary>Undoes the ImageNet normalisation: [N,3,H,W] back to 0–1.</summary>
    private static Tensor Denormalise(Tensor images)
    {
        var mean = tensor(DeviceAugment.Mean, [1, 3, 1, 1]);
        var std = tensor(DeviceAugment.Std, [1, 3, 1, 1]);
        return images * std + mean;
    }

    [Fact]
    public void ExactGeometryKeepsAMaskDerivedFromTheImageAlignedPixelForPixel()
    {
        using var scope = NewDisposeScope();
        var aug = GeometryOnly with { Scale = 0, Rotate = 0 };
        using var d = new LoaderTestData(6, 48, 40, new DataConfig { ImageSize = 32, Augment = aug });
        var loader = new BatchLoader(d.Cache, d.Samples, BatchLoaderOptions.ForTraining(d.Data, 6, 7, CPU));
        for (int epoch = 0; epoch < 4; epoch++)
        {
            using var batch = loader.LoadBatch(epoch, [0, 1, 2, 3, 4, 5]);
            var red = Denormalise(batch.Images).select(1, 0);
            var derived = red.gt(127.5 / 255).to(ScalarType.Float32).unsqueeze(1);
            Assert.True(derived.Equals(batch.Masks), $"epoch {epoch}: mask and image disagree after flips/rot90/crop");
        }
    }

    [Fact]
    public void InterpolatingAndPhotometricAugmentationsKeepBinaryImagesAndMasksAligned()
    {
        using var scope = NewDisposeScope();
        using var d = new LoaderTestData(8, 64, 48, new DataConfig { ImageSize = 32, Augment = Everything }, i => LoaderTestData.BinaryImage(64, 48, i));
        var loader = new BatchLoader(d.Cache, d.Samples, BatchLoaderOptions.ForTraining(d.Data, 8, 3, CPU));
        int resampled = 0, rotated = 0, jittered = 0;
        var assembler = new BatchAssembler(d.Cache, d.Data, augment: true, CPU);
        for (int epoch = 0; epoch < 5; epoch++)
        {
            using var batch = loader.LoadBatch(epoch, Enumerable.Range(0, 8).ToArray());
            var grey = Denormalise(batch.Images).mean([1]); // [N,H,W]
            var masks = batch.Masks.squeeze(1);
            Assert.True(masks.eq(0).logical_or(masks.eq(1)).all().item<bool>(), "masks must stay exactly 0/1");
            for (int i = 0; i < 8; i++)
            {
                var plan = assembler.Plan(d.Samples[i], 3, epoch, i);
                resampled += plan.NeedsResample && plan.AngleDegrees == 0 ? 1 : 0;
                rotated += plan.AngleDegrees != 0 ? 1 : 0;
                jittered += plan.HasPhotometric || plan.Gamma != 1 ? 1 : 0;
                var crack = grey[i].masked_select(masks[i].eq(1));
                var background = grey[i].masked_select(masks[i].eq(0));
                if (crack.numel() == 0 || background.numel() == 0) continue;
                // Photometric jitter is monotonic per sample: every crack pixel stays brighter than every background pixel.
                Assert.True(crack.min().item<float>() >= background.max().item<float>() - 1e-4,
                    $"epoch {epoch} sample {i}: image and mask disagree ({plan})");
            }
        }
        Assert.True(resampled > 3 && rotated > 3 && jittered > 3, $"augmentations not exercised: {resampled}/{rotated}/{jittered}");
    }

    [Fact]
    public void BatchesAreReproduciblePerSeedAndEpochAndDifferAcrossThem()
    {
        using var scope = NewDisposeScope();
        using var d = new LoaderTestData(6, 48, 40, new DataConfig { ImageSize = 32, Augment = Everything });
        Batch Load(int seed, int epoch) =>
            new BatchLoader(d.Cache, d.Samples, BatchLoaderOptions.ForTraining(d.Data, 3, seed, CPU)).LoadBatch(epoch, [4, 1, 5]);

        using var a = Load(11, 2);
        using var b = Load(11, 2);
        using var otherEpoch = Load(11, 3);
        using var otherSeed = Load(12, 2);
        Assert.True(a.Images.Equals(b.Images) && a.Masks.Equals(b.Masks));
        Assert.False(a.Images.Equals(otherEpoch.Images));
        Assert.False(a.Images.Equals(otherSeed.Images));
        Assert.Equal(["s004", "s001", "s005"], a.Stems);
        Assert.Equal([4, 1, 5], a.SampleIndices);
    }

    [Fact]
    public void TrainingBatchesHaveTheConfiguredShapeAndNormalisation()
    {
        using var scope = NewDisposeScope();
        using var d = new LoaderTestData(4, 50, 40, new DataConfig { ImageSize = 32, Augment = new AugmentConfig { Brightness = 0, Contrast = 0, Gamma = 0 } });
        var loader = new BatchLoader(d.Cache, d.Samples, BatchLoaderOptions.ForTraining(d.Data, 4, 0, CPU));
        using var batch = loader.LoadBatch(0, [0, 1, 2, 3]);
        Assert.Equal(new long[] { 4, 3, 32, 32 }, batch.Images.shape);
        Assert.Equal(new long[] { 4, 1, 32, 32 }, batch.Masks.shape);
        Assert.Equal(ScalarType.Float32, batch.Images.dtype);
        Assert.Equal(ScalarType.Float32, batch.Masks.dtype);
        var unit = Denormalise(batch.Images);
        Assert.True(unit.min().item<float>() >= -1e-5 && unit.max().item<float>() <= 1 + 1e-5);
        Assert.Null(batch.Valid); // 32² windows fit inside 50x40 images: nothing padded
    }

    [Fact]
    public void ImagesSmallerThanTheCropArePaddedAndMarkedInvalid()
    {
        using var scope = NewDisposeScope();
        using var d = new LoaderTestData(2, 20, 24, new DataConfig { ImageSize = 32, Augment = new AugmentConfig { Hflip = 0, Vflip = 0, Rot90 = 0, Scale = 0 } });
        var loader = new BatchLoader(d.Cache, d.Samples, BatchLoaderOptions.ForTraining(d.Data, 2, 0, CPU));
        using var batch = loader.LoadBatch(0, [0, 1]);
        Assert.NotNull(batch.Valid);
        Assert.Equal(20 * 24, batch.Valid![0].sum().item<float>());
        Assert.Equal(0f, batch.Masks.mul(1 - batch.Valid).sum().item<float>());
        Assert.Equal((24, 20), batch.ContentSizes[0]);
    }

    [Theory]
    [InlineData("random_crop", 64, 64, 50, 40)]  // whole image at native size, padded to a multiple of 32
    [InlineData("resize", 32, 32, 32, 32)]       // the training resize
    [InlineData("pad", 32, 32, 32, 26)]          // letterbox: 50x40 shrunk to fit 32, aspect kept
    public void EvaluationBatchesAreDeterministicWholeImages(string fit, int canvasW, int canvasH, int contentW, int contentH)
    {
        using var scope = NewDisposeScope();
        using var d = new LoaderTestData(3, 50, 40, new DataConfig { ImageSize = 32, Fit = fit, Augment = Everything });
        var loader = new BatchLoader(d.Cache, d.Samples, BatchLoaderOptions.ForEvaluation(d.Data, 2, CPU));
        var batches = loader.Epoch(0).ToList();
        var again = loader.Epoch(5).ToList();
        try
        {
            Assert.Equal(2, batches.Count);
            Assert.Equal(["s000", "s001"], batches[0].Stems);
            Assert.Equal(["s002"], batches[1].Stems);
            Assert.Equal(new long[] { 2, 3, canvasH, canvasW }, batches[0].Images.shape);
            Assert.Equal((contentH, contentW), batches[0].ContentSizes[0]);
            Assert.True(batches[0].Images.Equals(again[0].Images), "evaluation must not depend on the epoch");
            Assert.Equal(canvasW != contentW || canvasH != contentH, batches[0].Valid is not null);
            if (fit == "random_crop")
            {
                // Native resolution: the top-left content equals the cached image and its derived mask exactly.
                var red = Denormalise(batches[0].Images).select(1, 0).narrow(1, 0, 40).narrow(2, 0, 50);
                var masks = batches[0].Masks.squeeze(1).narrow(1, 0, 40).narrow(2, 0, 50);
                Assert.True(red.gt(127.5 / 255).to(ScalarType.Float32).Equals(masks));
            }
        }
        finally
        {
            foreach (var b in batches.Concat(again)) b.Dispose();
        }
    }
}
