using CrackSeg.Tests.TestSupport;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Infrastructure;

/// <summary>
/// The library never hands TorchSharp a Scalar that can be finalized during the native call (README, "Scalar
/// lifetime"): see <see cref="ScalarLifetimeRule"/>. The rule is checked on the source of src/, and shown to catch
/// each form of the race on samples.
/// </summary>
public class ScalarLifetimeRuleTests
{
    /// <summary>Calls the library cannot avoid, with the reason (file, start of the flagged code).</summary>
    private static readonly Dictionary<(string File, string Code), string> Allowed = new()
    {
        [("src/CrackSeg/Training/FusedAdam.cs", "base.step()")] =
            "TorchSharp's Adam for AMSGrad/maximize (the fused kernel covers the default); its Scalars are made inside step()",
        [("src/CrackSeg/Training/FusedAdamW.cs", "base.step()")] = "as FusedAdam: TorchSharp's AdamW for AMSGrad/maximize",
        [("src/CrackSeg/Training/LeanAdamW.cs", "base.step(closure)")] = "as FusedAdam: TorchSharp's AdamW for AMSGrad/maximize",
        [("src/CrackSeg/Training/TensorBoardLog.cs", "_writer.add_img(")] =
            "TorchSharp's SummaryWriter scales images by 255 with its own Scalars; only with logging.tensorboard, once per epoch",
    };

    [Fact]
    public void TheLibraryHandsTorchSharpOnlyScalarsThatOutliveTheCall()
    {
        string root = RepositoryRoot.Path;
        var sources = new[] { "src/CrackSeg", "src/CrackSeg.Cli" }
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(root, d), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .ToDictionary(f => Path.GetRelativePath(root, f).Replace('\\', '/'), File.ReadAllText);
        var findings = ScalarLifetimeRule.Check(sources)
            .Where(f => !Allowed.Keys.Any(a => f.File == a.File && f.Code.StartsWith(a.Code, StringComparison.Ordinal)))
            .ToList();
        Assert.True(findings.Count == 0, $"{findings.Count} temporary Scalars:\n" + string.Join("\n", findings));
    }

    [Theory]
    [InlineData("return t * 0.5;", "operator *")]                       // TorchSharp's double overload makes one
    [InlineData("return t.mul(0.5);", "temporary Scalar")]             // implicit conversion of an argument
    [InlineData("return t.mul((TorchSharp.Scalar)0.5);", "temporary Scalar")] // explicit conversion
    [InlineData("return t + u;", "operator +")]                         // add(Tensor) passes alpha = 1
    [InlineData("return t.add_(u);", "add_")]
    [InlineData("return 1 - t;", "operator -")]
    [InlineData("return t.clamp(min: 0.0);", "temporary Scalar")]
    [InlineData("return arange(0, 4, ScalarType.Int64);", "temporary Scalar")]
    [InlineData("return linalg.vector_norm(t, 2);", "vector_norm")]
    [InlineData("var s = 0.5.ToScalar(); return t.mul(s);", "temporary Scalar")] // a plain local is not kept alive
    [InlineData("return (Tensor)Unit().invoke(\"f\", t, 0.5)!;", "invoke")]      // TorchScript boxes the double into a Scalar
    public void TheRuleCatchesEachFormOfTheRace(string body, string expected)
    {
        var findings = ScalarLifetimeRule.Check(Sample(body));
        Assert.Contains(findings, f => f.Reason.Contains(expected) || f.Code.Contains(expected));
    }

    [Theory]
    [InlineData("using TorchSharp.Scalar half = 0.5; return t.mul(half);")]
    [InlineData("using var half = 0.5.ToScalar(); return t * half;")]
    [InlineData("return t.add(u, One);")]
    [InlineData("return t - u;")]                                       // sub(Tensor) takes no Scalar
    [InlineData("using TorchSharp.Scalar lo = 0.0; return t.clamp(lo, null);")]
    [InlineData("using TorchSharp.Scalar w = 0.5; return (Tensor)Unit().invoke(\"f\", t, w, true)!;")]
    public void TheRuleAcceptsScalarsThatOutliveTheCall(string body)
    {
        Assert.Empty(ScalarLifetimeRule.Check(Sample(body)));
    }

    [Fact]
    public void TorchSharpsOwnScalarMakersAreFoundInItsIl()
    {
        var makers = ScalarLifetimeRule.ScalarMakingMembers.Tokens.Value;
        int Token(string name, params Type[] parameters) => typeof(Tensor).GetMethod(name, parameters)!.MetadataToken;
        Assert.Contains(Token("add", typeof(Tensor)), makers);                        // alpha = 1 inside
        Assert.Contains(Token("add_", typeof(TorchSharp.Scalar)), makers);
        Assert.DoesNotContain(Token("add", typeof(Tensor), typeof(TorchSharp.Scalar)), makers);
        Assert.DoesNotContain(Token("mul", typeof(TorchSharp.Scalar)), makers);
        Assert.DoesNotContain(Token("sub", typeof(Tensor)), makers);
    }

    private static Dictionary<string, string> Sample(string body) => new()
    {
        ["Sample.cs"] = $$"""
            using TorchSharp;
            using static TorchSharp.torch;
            static class Sample
            {
                private static readonly Scalar One = 1;
                static jit.CompilationUnit Unit() => jit.compile("def f(x, w: float):\n    return x * w\n");
                static Tensor F(Tensor t, Tensor u) { {{body}} }
                static void Main() { }
            }
            """,
    };
}
