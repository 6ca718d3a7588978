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
        var command = new Command("info", "Print CrackSeg, .NET, TorchSharp and LibTorch versions, the backend, CUDA availability, GPUs and CPU");
        command.Options.Add(noTorch);
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
            }
            var hw = HardwareInfo.Detect(cuda ? "cuda" : "cpu", cuda, count, threads);
            o.WriteLine($"nvidia_driver: {hw.DriverVersion ?? "none (NVML not found)"}");
            if (hw.Gpus.Count == 0) o.WriteLine("gpus: none");
            foreach (var gpu in hw.Gpus)
                o.WriteLine($"gpu{gpu.Index}: {gpu.Name}, {(gpu.MemoryTotalBytes is long m ? $"{m / (1024.0 * 1024 * 1024):F1} GiB" : "memory unknown")}");
            o.WriteLine($"cpu: {hw.CpuModel}");
            o.WriteLine($"cpu_cores: {hw.CpuCores}");
            if (threads > 0) o.WriteLine($"torch_threads: {threads}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
