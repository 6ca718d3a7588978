using System.CommandLine;
using System.Globalization;
using CrackSeg.Benchmarks;
using CrackSeg.Common;
using CrackSeg.Data;
using CrackSeg.Training;

namespace CrackSeg.Cli.Commands;

/// <summary>
/// `crackseg bench data|train|model|checkpoint|predict|all`: speed and memory figures (benchmarks, not tests).
/// Every sub-command ends with `name: value` lines that scripts can grep.
/// </summary>
internal static class BenchCommands
{
    public static Command Create(CliContext context)
    {
        var command = new Command("bench", "Benchmarks: data loading, training loop overhead and memory, model speed, checkpoint I/O");
        command.Subcommands.Add(Data(context));
        command.Subcommands.Add(Train(context));
        command.Subcommands.Add(Model(context));
        command.Subcommands.Add(Checkpoint(context));
        command.Subcommands.Add(Predict(context));
        command.Subcommands.Add(All(context));
        return command;
    }

    private static Command Data(CliContext context)
    {
        var data = new Option<string>("--data", "-d") { Description = "Dataset root", Required = true };
        var seconds = new Option<double>("--seconds") { Description = "How long to time the cached loader", DefaultValueFactory = _ => 5 };
        var command = new Command("data", "First-epoch decode rate and cached+augmented samples/s of 256x256 crops on one torch thread");
        command.Options.Add(data);
        command.Options.Add(seconds);
        command.SetAction(parse => CliApp.Guard(context, () =>
        {
            var result = RunData(context, parse.GetValue(data)!, parse.GetValue(seconds));
            context.Output.Write(result.Format());
            Figure(context, "data_decode_pairs_per_s", result.DecodeFilesPerSecond / 2);
            Figure(context, "data_cached_samples_per_s", result.SamplesPerSecond);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Train(CliContext context)
    {
        var args = new ConfigArguments();
        var epochs = new Option<int>("--epochs") { Description = "Epochs to run (RSS drift is measured from epoch 2 to the last)", DefaultValueFactory = _ => 10 };
        var command = new Command("train", "Training-loop samples/s, overhead ratio against pure forward+backward+step, host syncs per batch, RSS per epoch");
        args.AddTo(command);
        command.Options.Add(epochs);
        command.SetAction(parse => CliApp.Guard(context, () =>
        {
            var result = TrainingBenchmark.Run(args.Load(parse), parse.GetValue(epochs), context.Log, context.Cancellation);
            context.Output.Write(result.Format());
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Model(CliContext context)
    {
        var args = new ConfigArguments();
        var only = new Option<string?>("--only") { Description = "Time one configuration: seed (batch 2) or small (batch 4)" };
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps before timing", DefaultValueFactory = _ => 3 };
        var iterations = new Option<int>("--iterations") { Description = "Timed steps (the median is reported)", DefaultValueFactory = _ => 10 };
        var phases = new Option<bool>("--phases") { Description = "Also print a training step split into forward (+ loss), backward, optimizer and other, ms per step" };
        var command = new Command("model",
            "Forward and training images/s of the seed preset (batch 2) and the small variant (batch 4) at 256x256 (AdamW, BCE); " +
            "training.* overrides apply (threads, optimizer, precision). Compare with PyTorch only side by side: scripts/bench-vs-pytorch.sh");
        args.AddTo(command);
        command.Options.Add(only);
        command.Options.Add(warmup);
        command.Options.Add(iterations);
        command.Options.Add(phases);
        command.SetAction(parse => CliApp.Guard(context, () =>
        {
            var config = args.Load(parse);
            var options = new ModelSpeedOptions
            {
                Warmup = parse.GetValue(warmup), Iterations = parse.GetValue(iterations), Phases = parse.GetValue(phases), Training = config.Training,
            };
            foreach (var r in RunModels(context, ModelSpeedBenchmark.Select(parse.GetValue(only)), options))
            {
                context.Output.WriteLine(r.Describe());
                if (r.DescribePhases() is { } line) context.Output.WriteLine(line);
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Checkpoint(CliContext context)
    {
        var preset = new Option<string>("--preset") { Description = "Model preset", DefaultValueFactory = _ => "seed" };
        var command = new Command("checkpoint", "Save/load time and size of a full checkpoint (model + AdamW state)");
        command.Options.Add(preset);
        command.SetAction(parse => CliApp.Guard(context, () =>
        {
            var r = CheckpointBenchmark.Run(parse.GetValue(preset)!, Path.Combine("artifacts", "bench"));
            context.Output.WriteLine($"checkpoint {r.Preset}: {r.Parameters:N0} parameters, {r.Bytes / 1048576.0:F0} MiB, " +
                $"save {r.SaveSeconds:F2} s ({r.SaveCpuSeconds:F2} s CPU), load {r.LoadSeconds:F2} s ({r.LoadCpuSeconds:F2} s CPU)");
            Figure(context, "checkpoint_save_s", r.SaveSeconds);
            Figure(context, "checkpoint_load_s", r.LoadSeconds);
            Figure(context, "checkpoint_mib", r.Bytes / 1048576.0);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Predict(CliContext context)
    {
        var experiment = new Option<string>("--experiment", "-e") { Description = "Trained experiment (its best checkpoint for the torch backend)", Required = true };
        var model = new Option<string?>("--model") { Description = "Exported model.onnx (default DIR/export/model.onnx, exported at 512 px when missing)" };
        var size = new Option<int>("--size") { Description = "Side of the square test image", DefaultValueFactory = _ => 2048 };
        var workDir = new Option<string>("--work") { Description = "Folder for the image and both outputs", DefaultValueFactory = _ => Path.Combine("artifacts", "bench", "predict") };
        var command = new Command("predict", "Both predict backends (torch, onnx) on the same synthetic image, one fresh process each: start to last file, MP/s, peak RSS");
        foreach (var o in new Option[] { experiment, model, size, workDir }) command.Options.Add(o);
        command.SetAction(parse => CliApp.Guard(context, () =>
        {
            string dir = parse.GetValue(experiment)!;
            string work = Path.GetFullPath(parse.GetValue(workDir)!);
            string onnx = parse.GetValue(model) ?? Path.Combine(dir, "export", "model.onnx");
            if (parse.GetValue(model) is null && !File.Exists(onnx))
                onnx = new Export.OnnxExporter(context.Log).Run(new Export.ExportOptions { Experiment = dir, Output = Path.Combine(work, "model.onnx") }).ModelPath;
            var results = PredictBackendsBenchmark.Run(dir, onnx, work, parse.GetValue(size), SelfStart, context.Log);
            foreach (var r in results) context.Output.WriteLine(r.Format());
            foreach (var r in results)
            {
                Figure(context, $"predict_{r.Backend}_to_last_file_s", r.ToLastFileSeconds);
                Figure(context, $"predict_{r.Backend}_mpix_per_s", r.EndToEndMegapixelsPerSecond);
                Figure(context, $"predict_{r.Backend}_peak_rss_mib", r.PeakRssBytes / 1048576.0);
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>This CLI in a fresh process: `dotnet crackseg.dll ARGS` (the same build, whatever hosts this one).</summary>
    private static System.Diagnostics.ProcessStartInfo SelfStart(IReadOnlyList<string> args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "crackseg.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        return start;
    }

    private static Command All(CliContext context)
    {
        var data = new Option<string>("--data", "-d") { Description = "Dataset root for the data figures", DefaultValueFactory = _ => "data/synthetic" };
        var args = new ConfigArguments();
        var epochs = new Option<int>("--epochs") { Description = "Epochs of the training-loop benchmark", DefaultValueFactory = _ => 10 };
        var command = new Command("all", "Every benchmark, one table, then one `name: value` line per figure");
        command.Options.Add(data);
        command.Options.Add(epochs);
        args.AddTo(command);
        command.SetAction(parse => CliApp.Guard(context, () =>
        {
            var config = args.Load(parse);
            SyntheticData.EnsureExists(config.Data, context.Log);
            var dataResult = RunData(context, parse.GetValue(data)!, 5);
            var train = TrainingBenchmark.Run(config, parse.GetValue(epochs), context.Log, context.Cancellation);
            var models = RunModels(context, ModelSpeedBenchmark.Configurations, new ModelSpeedOptions { Training = config.Training });
            var ckpt = CheckpointBenchmark.Run("seed", Path.Combine("artifacts", "bench"));
            context.Log.Info($"bench predict: {config.Model.Preset}, 2048x2048, tiles 512/64");
            var predict = PredictBenchmark.Run(config.Model, DeviceSelector.Resolve(config.Training.Device));

            context.Output.Write(dataResult.Format());
            context.Output.Write(train.Format());
            foreach (var r in models) context.Output.WriteLine(r.Describe());
            context.Output.WriteLine($"checkpoint seed: {ckpt.Bytes / 1048576.0:F0} MiB, save {ckpt.SaveSeconds:F2} s, load {ckpt.LoadSeconds:F2} s");
            context.Output.WriteLine($"predict {predict.Preset}: {predict.Size}x{predict.Size} in {predict.Tiles} tiles of 512 (overlap 64): {predict.Seconds:F1} s, {predict.MegapixelsPerSecond:F3} MP/s");
            context.Output.WriteLine();
            Figure(context, "data_decode_pairs_per_s", dataResult.DecodeFilesPerSecond / 2);
            Figure(context, "data_cached_samples_per_s", dataResult.SamplesPerSecond);
            Figure(context, "train_samples_per_s", train.SamplesPerSecond);
            Figure(context, "overhead_ratio", train.OverheadRatio);
            Figure(context, "device_syncs_per_batch", train.DeviceSyncsPerBatch);
            Figure(context, "rss_drift_percent", train.RssDriftPercent);
            foreach (var r in models)
            {
                Figure(context, $"fwd_img_per_s_{r.Name}", r.ForwardImagesPerSecond);
                Figure(context, $"train_img_per_s_{r.Name}", r.TrainImagesPerSecond);
            }
            Figure(context, "checkpoint_save_s_seed", ckpt.SaveSeconds);
            Figure(context, "checkpoint_mib_seed", ckpt.Bytes / 1048576.0);
            Figure(context, "predict_2048_s", predict.Seconds);
            Figure(context, "predict_mpix_per_s", predict.MegapixelsPerSecond);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static DataBenchResult RunData(CliContext context, string root, double seconds)
    {
        var config = new Config.DataConfig { Root = root };
        return DataBench.Run(config, new DataBenchOptions { Seconds = seconds, Threads = 1 }, context.Log);
    }

    private static List<ModelSpeedResult> RunModels(CliContext context, IReadOnlyList<ModelSpeedConfiguration> configurations, ModelSpeedOptions options)
    {
        options.Validate();
        var device = DeviceSelector.Resolve(options.Training.Device);
        var results = new List<ModelSpeedResult>();
        foreach (var configuration in configurations)
        {
            context.Log.Info($"bench model {configuration.Name}: batch {configuration.BatchSize}, {ModelSpeedBenchmark.ImageSize}x{ModelSpeedBenchmark.ImageSize}, {options.Training.Precision}");
            results.Add(ModelSpeedBenchmark.Run(configuration, ModelSpeedBenchmark.ImageSize, device, options));
        }
        return results;
    }

    private static void Figure(CliContext context, string name, double value) =>
        context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {value:0.###}"));
}
