using CrackSeg.Common;
using TorchSharp;

namespace CrackSeg.Common;

/// <summary>Turns `training.device` (auto | cpu | cuda | cuda:N) into a torch device.</summary>
public static class DeviceSelector
{
    public static torch.Device Resolve(string setting)
    {
        if (setting == "auto") return torch.cuda.is_available() ? torch.CUDA : torch.CPU;
        if (setting == "cpu") return torch.CPU;
        int index = setting.Contains(':') ? int.Parse(setting[(setting.IndexOf(':') + 1)..]) : 0;
        if (!torch.cuda.is_available())
            throw new InputException($"training.device: '{setting}' was requested but CUDA is not available " +
                $"(TorchBackend={FrameworkVersions.TorchBackend}; build with -p:TorchBackend=cuda on a machine with an NVIDIA driver, or use training.device=cpu)");
        int count = torch.cuda.device_count();
        if (index >= count)
            throw new InputException($"training.device: '{setting}' does not exist; this machine has {count} CUDA device(s) (cuda:0..cuda:{count - 1})");
        return new torch.Device(DeviceType.CUDA, index);
    }

    /// <summary>The name written to hardware_info.device: "cpu", "cuda" or "cuda:N".</summary>
    public static string Describe(torch.Device device) =>
        device.type == DeviceType.CUDA ? (device.index <= 0 ? "cuda" : $"cuda:{device.index}") : "cpu";
}
