using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Data;
using CrackSeg.Models;
using CrackSeg.Training.Losses;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CrackSeg.Training;

/// <summary>
/// The data, model, optimizer, loss and schedule of a run, built from a config in one place for the
/// trainer and the training benchmark.
/// </summary>
public sealed class TrainingComponents : IDisposable
{
    private TrainingComponents(DatasetIndex index, SampleCache cache, BatchLoader train, BatchLoader val, SwinV2CnnAsppUNet model,
        OptimizerHelper optimizer, SegmentationLoss loss, LearningRateSchedule schedule, IReadOnlyList<Parameter> parameters, ModelEma? ema)
    {
        Ema = ema;
        Index = index;
        Cache = cache;
        TrainLoader = train;
        ValLoader = val;
        Model = model;
        Optimizer = optimizer;
        Loss = loss;
        Schedule = schedule;
        Parameters = parameters;
    }

    public DatasetIndex Index { get; }
    public SampleCache Cache { get; }
    public BatchLoader TrainLoader { get; }
    public BatchLoader ValLoader { get; }
    public SwinV2CnnAsppUNet Model { get; }
    public OptimizerHelper Optimizer { get; }
    public SegmentationLoss Loss { get; }
    public LearningRateSchedule Schedule { get; }
    public IReadOnlyList<Parameter> Parameters { get; }
    /// <summary>The weight average when training.ema.enabled; validation and best_model.pth use it.</summary>
    public ModelEma? Ema { get; }
    /// <summary>The model validation scores: the EMA's when enabled, else the trained one.</summary>
    public nn.Module<Tensor, Tensor> ValidatedModel => Ema?.Model ?? Model;
    public long ParameterCount => Parameters.Sum(p => p.numel());

    /// <summary>Builds everything; <paramref name="index"/> is the split (fresh, or replayed from splits.json).</summary>
    public static TrainingComponents Build(CrackSegConfig config, DatasetIndex index, Device device, RunLog log)
    {
        if (index.Train.Count < config.Training.BatchSize)
            throw new InputException($"data.root '{config.Data.Root}': the training split has {index.Train.Count} pairs, fewer than training.batch_size={config.Training.BatchSize}");
        if (index.Val.Count == 0)
            throw new InputException($"data.root '{config.Data.Root}': the validation split is empty; adjust data.splits or add data");
        var cache = SampleCache.Build(index, config.Data, log, splits: [SplitName.Train, SplitName.Val]);
        try
        {
            // Decoding can exclude more pairs (on_error: skip): from here on the cache's index is the truth.
            index = cache.Index;
            var train = new BatchLoader(cache, index.Train, BatchLoaderOptions.ForTraining(config.Data, config.Training.BatchSize, config.Experiment.Seed, device));
            var val = new BatchLoader(cache, index.Val, BatchLoaderOptions.ForEvaluation(config.Data, config.Training.BatchSize, device));

            // Initialisation is seeded so that two fresh runs start from the same weights.
            manual_seed(config.Experiment.Seed);
            var model = ModelFactory.Create(config.Model, config.Data.ImageSize);
            model.to(device);
            var groups = ParameterGroups.Split(model);
            var optimizer = OptimizerFactory.Create(config.Training, groups.Decay.Select(g => g.Parameter), groups.NoDecay.Select(g => g.Parameter));
            var loss = LossFactory.Create(config.Training.Loss);
            int stepsPerEpoch = (train.BatchesPerEpoch + config.Training.GradAccumSteps - 1) / config.Training.GradAccumSteps;
            var schedule = new LearningRateSchedule(config.Training, stepsPerEpoch);
            var ema = config.Training.Ema.Enabled ? CreateEma(config, model, device) : null;
            return new TrainingComponents(index, cache, train, val, model, optimizer, loss, schedule, model.parameters().ToList(), ema);
        }
        catch
        {
            cache.Dispose();
            throw;
        }
    }

    private static ModelEma CreateEma(CrackSegConfig config, SwinV2CnnAsppUNet model, Device device)
    {
        var average = ModelFactory.Create(config.Model, config.Data.ImageSize);
        average.to(device);
        return new ModelEma(model, average, config.Training.Ema);
    }

    public void Dispose()
    {
        Ema?.Dispose();
        Model.Dispose();
        Loss.Dispose();
        Cache.Dispose();
    }
}
