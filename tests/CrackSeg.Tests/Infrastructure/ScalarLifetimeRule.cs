using System.Reflection;
using System.Reflection.Emit;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using TorchSharp;

namespace CrackSeg.Tests.Infrastructure;

/// <summary>
/// Finds the TorchSharp 0.107 Scalar race in C# source. A <see cref="Scalar"/> owns a native value and frees it in
/// its finalizer; TorchSharp reads <c>Scalar.Handle</c> and calls LibTorch without keeping the managed object alive,
/// so a temporary Scalar (an implicit or explicit conversion such as <c>t * 0.5</c>, or one TorchSharp makes inside
/// an overload such as <c>add(Tensor)</c>, which passes <c>alpha = 1</c>) can be finalized by a collection on another
/// thread while LibTorch reads it. The rule: every Scalar handed to TorchSharp is a variable that outlives the call —
/// a <c>using</c> local or a <c>static readonly</c> field — and no overload that makes its own Scalar is called.
/// The overloads are found in TorchSharp's IL, not listed by hand, so a TorchSharp update is re-checked.
/// </summary>
public static class ScalarLifetimeRule
{
    /// <summary>One offence: file:line, the code, and why.</summary>
    public sealed record Finding(string File, int Line, string Code, string Reason)
    {
        public override string ToString() => $"{File}:{Line}: {Code}  [{Reason}]";
    }

    /// <summary>Checks <paramref name="sources"/> (path → text), compiled against the loaded TorchSharp and runtime.</summary>
    public static IReadOnlyList<Finding> Check(IReadOnlyDictionary<string, string> sources)
    {
        var compilation = Compile(sources);
        // An unbound name hides its conversions: the check only counts on a compilation without errors (but for
        // the partial methods that [LibraryImport]/[GeneratedRegex] source generators implement, which are not run
        // here: CS8795 and the CS0170 that an unimplemented `out` parameter causes).
        var errors = compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error && d.Id is not ("CS8795" or "CS0170")).Take(5).ToList();
        if (errors.Count > 0) throw new InvalidOperationException("the sources do not compile:\n" + string.Join("\n", errors));
        var hazardous = ScalarMakingMembers.Tokens.Value;
        var findings = new List<Finding>();
        foreach (var tree in compilation.SyntaxTrees)
        {
            var model = compilation.GetSemanticModel(tree);
            var seen = new HashSet<(int, string)>();
            // Every operation tree has a root (a body, an initializer); walking down from the roots visits the
            // operations that have no syntax node of their own too.
            var roots = tree.GetRoot().DescendantNodes()
                .Select(n => model.GetOperation(n)).Where(o => o is { Parent: null }).Distinct();
            foreach (var op in roots.SelectMany(r => r!.DescendantsAndSelf()))
            {
                string? reason = Offence(op, hazardous);
                if (reason is null) continue;
                var node = op.Syntax;
                int line = node.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
                if (seen.Add((node.SpanStart, reason)))
                    findings.Add(new Finding(tree.FilePath, line, node.ToString().Split('\n')[0].Trim(), reason));
            }
        }
        return findings;
    }

    /// <summary>Why <paramref name="op"/> breaks the rule, or null.</summary>
    private static string? Offence(IOperation op, HashSet<int> hazardous)
    {
        switch (op)
        {
            case IConversionOperation { OperatorMethod: { } m } c when IsScalar(m.ReturnType) && !IsKeptAlive(c):
                return "temporary Scalar: use a `using` local or a static readonly Scalar";
            // An argument's conversion is not a node of its own: Roslyn keeps it on the argument.
            case IArgumentOperation { InConversion: { IsUserDefined: true, MethodSymbol: { } m } } when IsScalar(m.ReturnType):
                return "temporary Scalar: use a `using` local or a static readonly Scalar";
            case IInvocationOperation inv when IsScalar(inv.TargetMethod.ReturnType) && IsToScalar(inv.TargetMethod) && !IsKeptAlive(inv):
                return "temporary Scalar: use a `using` local or a static readonly Scalar";
            // TorchScript's invoke(params object[]) makes a Scalar only for a double, float or long argument; a
            // Scalar argument is passed by its handle (TorchSharp 0.107's argument marshalling).
            case IInvocationOperation inv when IsScriptInvoke(inv.TargetMethod):
                return NumericScriptArguments(inv).FirstOrDefault() is { } numeric
                    ? $"{numeric} is made into a temporary Scalar by invoke: pass a `using` Scalar"
                    : null;
            case IInvocationOperation inv when IsHazardous(inv.TargetMethod, hazardous):
                return $"{Describe(inv.TargetMethod)} makes a temporary Scalar inside TorchSharp";
            case IBinaryOperation { OperatorMethod: { } m } when IsHazardous(m, hazardous):
                return $"{Describe(m)} makes a temporary Scalar inside TorchSharp";
            case ICompoundAssignmentOperation { OperatorMethod: { } m } when IsHazardous(m, hazardous):
                return $"{Describe(m)} makes a temporary Scalar inside TorchSharp";
            case IUnaryOperation { OperatorMethod: { } m } when IsHazardous(m, hazardous):
                return $"{Describe(m)} makes a temporary Scalar inside TorchSharp";
            case IObjectCreationOperation { Constructor: { } ctor } when IsHazardous(ctor, hazardous):
                return $"{Describe(ctor)} makes a temporary Scalar inside TorchSharp";
            default:
                return null;
        }
    }

    /// <summary>A Scalar made here lives on when it initialises a `using` local or a static readonly field.</summary>
    private static bool IsKeptAlive(IOperation made)
    {
        var parent = made.Parent;
        while (parent is IConditionalOperation or IConversionOperation { IsImplicit: true }) parent = parent.Parent;
        if (parent is IVariableInitializerOperation { Parent: IVariableDeclaratorOperation { Parent: IVariableDeclarationOperation decl } })
            return decl.Parent is IUsingDeclarationOperation or IUsingOperation
                || decl.Parent is IVariableDeclarationGroupOperation { Parent: IUsingDeclarationOperation or IUsingOperation };
        if (parent is IFieldInitializerOperation fi)
            return fi.InitializedFields.All(f => f.IsStatic && f.IsReadOnly);
        return false;
    }

    private static bool IsScriptInvoke(IMethodSymbol m) =>
        m.Name is "invoke" && m.ContainingAssembly?.Name == "TorchSharp" && m.ContainingNamespace.ToDisplayString().StartsWith("TorchSharp", StringComparison.Ordinal);

    /// <summary>The arguments of a params object[] call that are boxed numbers.</summary>
    private static IEnumerable<string> NumericScriptArguments(IInvocationOperation inv) =>
        inv.Arguments
            .SelectMany(a => a.Value is IArrayCreationOperation { Initializer: { } init } ? init.ElementValues : [a.Value])
            .Select(v => v is IConversionOperation { IsImplicit: true } boxed ? boxed.Operand : v)
            .Where(v => v.Type?.SpecialType is SpecialType.System_Double or SpecialType.System_Single or SpecialType.System_Int64 or SpecialType.System_Int32)
            .Select(v => v.Syntax.ToString());

    private static bool IsScalar(ITypeSymbol? type) =>
        type is { Name: "Scalar", ContainingNamespace.Name: "TorchSharp" };

    private static bool IsToScalar(IMethodSymbol m) =>
        m.Name == "ToScalar" && m.ContainingType.Name == "ScalarExtensionMethods";

    private static bool IsHazardous(IMethodSymbol m, HashSet<int> hazardous) =>
        m.ContainingAssembly?.Name == "TorchSharp" && hazardous.Contains(m.OriginalDefinition.MetadataToken);

    private static string Describe(IMethodSymbol m) =>
        m.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat);

    private static CSharpCompilation Compile(IReadOnlyDictionary<string, string> sources)
    {
        var options = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Preview);
        var trees = sources.Select(s => CSharpSyntaxTree.ParseText(s.Value, options, s.Key)).ToList();
        trees.Add(CSharpSyntaxTree.ParseText(ImplicitUsings, options, "ImplicitUsings.g.cs"));
        return CSharpCompilation.Create("ScalarRuleCheck", trees, References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, allowUnsafe: true,
                nullableContextOptions: NullableContextOptions.Enable));
    }

    /// <summary>The SDK's implicit global usings of a console/library project.</summary>
    private const string ImplicitUsings =
        "global using System; global using System.Collections.Generic; global using System.IO; global using System.Linq; " +
        "global using System.Net.Http; global using System.Threading; global using System.Threading.Tasks;";

    /// <summary>The runtime's assemblies and every assembly beside the test binary (TorchSharp, ImageSharp, …).</summary>
    private static readonly Lazy<List<MetadataReference>> References = new(() =>
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Concat(Directory.EnumerateFiles(AppContext.BaseDirectory, "*.dll"))
            .Where(p => !Path.GetFileName(p).StartsWith("CrackSeg", StringComparison.OrdinalIgnoreCase))
            .Where(IsManaged)
            .GroupBy(Path.GetFileName).Select(g => g.First());
        return paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToList();
    });

    private static bool IsManaged(string path)
    {
        try { AssemblyName.GetAssemblyName(path); return true; }
        catch (BadImageFormatException) { return false; }
    }

    /// <summary>
    /// The TorchSharp members that make a Scalar and hand it to native code without keeping it alive: methods whose
    /// IL calls a Scalar conversion (<c>op_Implicit</c>, <c>op_Explicit</c>, <c>ToScalar</c>) and never disposes a
    /// Scalar, and, transitively, the TorchSharp methods that call them.
    /// </summary>
    public static class ScalarMakingMembers
    {
        public static readonly Lazy<HashSet<int>> Tokens = new(Find);

        private static HashSet<int> Find()
        {
            var module = typeof(Scalar).Module;
            var callees = new Dictionary<int, HashSet<int>>();
            var makers = new HashSet<int>();
            foreach (var method in AllMethods(module))
            {
                var calls = CalledMethods(method);
                bool makes = calls.Any(IsScalarConversion);
                bool disposes = calls.Any(c => c.DeclaringType == typeof(Scalar) && c.Name == "Dispose");
                if (makes && !disposes) makers.Add(method.MetadataToken);
                callees[method.MetadataToken] = calls.Where(c => c.Module == module).Select(c => c.MetadataToken).ToHashSet();
            }
            bool grew = true;
            while (grew)
            {
                grew = false;
                foreach (var (caller, called) in callees)
                    if (!makers.Contains(caller) && called.Overlaps(makers)) { makers.Add(caller); grew = true; }
            }
            return makers;
        }

        private static bool IsScalarConversion(MethodBase m) =>
            (m.DeclaringType == typeof(Scalar) && m.Name is "op_Implicit" or "op_Explicit")
            || (m.Name == "ToScalar" && m.DeclaringType?.Name == "ScalarExtensionMethods");

        private static IEnumerable<MethodBase> AllMethods(Module module)
        {
            const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance |
                                     BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (var type in module.GetTypes())
            {
                foreach (var m in type.GetMethods(all)) yield return m;
                foreach (var c in type.GetConstructors(all)) yield return c;
            }
        }

        /// <summary>The methods <paramref name="method"/>'s IL calls (call, callvirt, newobj, ldftn).</summary>
        private static List<MethodBase> CalledMethods(MethodBase method)
        {
            var result = new List<MethodBase>();
            byte[]? il;
            try { il = method.GetMethodBody()?.GetILAsByteArray(); }
            catch (Exception) { return result; }
            if (il is null) return result;
            Type[]? typeArgs = method.DeclaringType is { IsGenericType: true } t ? t.GetGenericArguments() : null;
            Type[]? methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
            int i = 0;
            while (i < il.Length)
            {
                var code = ReadOpCode(il, ref i);
                if (code.OperandType == OperandType.InlineMethod)
                {
                    int token = BitConverter.ToInt32(il, i);
                    try { if (method.Module.ResolveMethod(token, typeArgs, methodArgs) is { } callee) result.Add(callee); }
                    catch (Exception) { /* a method in an assembly TorchSharp references but this process lacks */ }
                }
                i += OperandSize(code, il, i);
            }
            return result;
        }

        private static readonly OpCode[] OneByte = new OpCode[256];
        private static readonly OpCode[] TwoByte = new OpCode[256];

        static ScalarMakingMembers()
        {
            foreach (var f in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
            {
                var code = (OpCode)f.GetValue(null)!;
                ushort v = (ushort)code.Value;
                if (code.Size == 1) OneByte[v] = code; else TwoByte[v & 0xff] = code;
            }
        }

        private static OpCode ReadOpCode(byte[] il, ref int i)
        {
            byte b = il[i++];
            return b == 0xFE ? TwoByte[il[i++]] : OneByte[b];
        }

        private static int OperandSize(OpCode code, byte[] il, int at) => code.OperandType switch
        {
            OperandType.InlineNone => 0,
            OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
            OperandType.InlineVar => 2,
            OperandType.InlineI8 or OperandType.InlineR => 8,
            OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
            _ => 4,
        };
    }
}
