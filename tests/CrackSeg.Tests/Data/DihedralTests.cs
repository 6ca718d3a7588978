using CrackSeg.Data;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Data;

public class DihedralTests
{
    public static IEnumerable<object[]> AllCombinations() =>
        from h in new[] { false, true }
        from v in new[] { false, true }
        from k in Enumerable.Range(0, 4)
        select new object[] { h, v, k };

    [Theory]
    [MemberData(nameof(AllCombinations))]
    public void OneFlipAndOptionalTransposeEqualsFlipsThenRot90(bool hflip, bool vflip, int k)
    {
        using var scope = NewDisposeScope();
        var plan = new SamplePlan(0, 0, 5, 5, 5, 5, hflip, vflip, k, 0, 1, 1, 1);
        var x = arange(2 * 5 * 5, dtype: ScalarType.Byte).view(1, 2, 5, 5);

        var expected = x[0];
        if (hflip) expected = expected.flip(-1);
        if (vflip) expected = expected.flip(-2);
        if (k > 0) expected = expected.rot90(k, (-2, -1));

        var actual = x.clone();
        DeviceAugment.Dihedral([plan], actual);
        Assert.True(expected.Equals(actual[0]), $"h={hflip} v={vflip} k={k}");
    }
}
