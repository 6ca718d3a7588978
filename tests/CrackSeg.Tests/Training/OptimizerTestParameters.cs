using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Training;

/// <summary>Three parameters of different shapes for optimizer comparisons, and detached copies of them.</summary>
internal static class OptimizerTestParameters
{
    public static List<Parameter> Make(int seed, ScalarType dtype)
    {
        var g = new Generator((ulong)seed);
        var ps = new List<Parameter>
        {
            new(randn([6, 5], generator: g).to(dtype)), new(randn([7], generator: g).to(dtype)), new(randn([2, 3, 3, 3], generator: g).to(dtype)),
        };
        foreach (var p in ps) p.DetachFromDisposeScope();
        return ps;
    }

    public static List<Parameter> Copy(IEnumerable<Parameter> ps) =>
        ps.Select(p => { var c = new Parameter(p.detach().clone()); c.DetachFromDisposeScope(); return c; }).ToList();
}
