using CrackSeg.Common;
using CrackSeg.Common.Precision;
using System.CommandLine;
using CrackSeg.Artifacts;
using TorchSharp;

namespace CrackSeg.Cli.Commands;

/// <summary>`crackseg info`: versions, backend, CUDA and GPU facts (NVML), CPU.</summary>
internal static class InfoCommand
{
    public static Command Create(CliContext context)
    {
        var noTorch = new Option<bool>("--no-torch") { Description = "Report only what needs no LibTorch (NVML GPU names, CPU): for checking a GPU machine without loading torch" };
        var hardwareJson = new Option<string?>("--hardware-json")
        {
            Description = "Also print the hardware_info object a run on this device (cpu, cuda, cuda:N) would write to complete_summary.json",
            HelpName = "DEVICE",
        };
        hardwareJson.Validators.Add(result =>
        {
            var device = result.GetValueOrDefault<string?>();
            if (device is not null && !System.Text.RegularExpressions.Regex.IsMatch(device, @"^(cpu|cuda(:\d+)?)$"))
                result.AddError($"--hardware-json: expected cpu, cuda or cuda:N, got '{device}'");
        });
        var command = new Command("info", "Print CrackSeg, .NET, TorchSharp and LibTorch versions, the backend, CUDA availability, GPUs and CPU");
        command.Options.Add(noTorch);
        command.Options.Add(hardwareJson);
        command.SetAction(parse => CliApp.Guard(context, () =>
        {
            var o = context.Output;
            o.WriteLine($"crackseg: {FrameworkVersions.CrackSeg}");
            o.WriteLine($"dotnet: {FrameworkVersions.DotNet}");
            o.WriteLine($"torchsharp: {FrameworkVersions.TorchSharp}");
            o.WriteLine($"libtorch: {FrameworkVersions.LibTorch}");
            o.WriteLine($"backend: {FrameworkVersions.TorchBackend}");
            bool cuda = false;
            int count = 0, threads = 0;
            if (!parse.GetValue(noTorch))
            {
                cuda = torch.cuda.is_available();
                count = cuda ? torch.cuda.device_count() : 0;
                threads = torch.get_num_threads();
                o.WriteLine($"cuda_available: {(cuda ? "true" : "false")}");
                o.WriteLine($"cuda_device_count: {count}");
                o.WriteLine($"cudnn_available: {(cuda && torch.cuda.is_cudnn_available() ? "true" : "false")}");
                // Autocast (training.precision bf16/fp16) per device: LibTorch's exports, and whether the hardware runs it natively.
                string? problem = PrecisionMode.AutocastUnavailableReason;
                o.WriteLine($"autocast_cpu: {(problem is null ? $"bf16, fp16 (bf16 native: {CpuBf16.NativeFlag ?? "no, emulated and slow"})" : $"unavailable ({problem})")}");
                o.WriteLine($"autocast_cuda: {(problem is not null ? $"unavailable ({problem})" : cuda ? "bf16 (Ampere and later), fp16" : "unavailable (no CUDA device)")}");
            }
            var hw = HardwareInfo.Detect(cuda ? "cuda" : "cpu", cuda, count, threads);
            o.WriteLine($"nvidia_driver: {hw.DriverVersion ?? "none (NVML not found)"}");
            if (hw.Gpus.Count == 0) o.WriteLine("gpus: none");
            foreach (var gpu in hw.Gpus)
            {
                o.WriteLine($"gpu{gpu.Index}: {gpu.Name}, {(gpu.MemoryTotalBytes is long m ? $"{m / (1024.0 * 1024 * 1024):F1} GiB" : "memory unknown")}");
                if (gpu.Uuid is not null) o.WriteLine($"gpu{gpu.Index}_uuid: {gpu.Uuid}");
            }
            o.WriteLine($"cpu: {hw.CpuModel}");
            o.WriteLine($"cpu_cores: {hw.CpuCores}");
            if (threads > 0) o.WriteLine($"torch_threads: {threads}");
            o.WriteLine($"openmp_wait: {NativeEnvironment.OpenMpWait}");
            if (parse.GetValue(hardwareJson) is string device)
            {
                // Without torch, CUDA counts as available when NVML sees a GPU: the closest answer that loads no LibTorch.
                bool available = parse.GetValue(noTorch) ? hw.Gpus.Count > 0 : cuda;
                var record = HardwareInfo.Detect(device, available && device != "cpu", count, threads);
                o.WriteLine("hardware_info: " + ExperimentDocuments.HardwareInfo(HardwareSnapshot.From(record)));
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
