using System.Globalization;
using CrackSeg.Artifacts;
using CrackSeg.Common;

namespace CrackSeg.Tests.Artifacts;

public class ArtifactFormatTests
{
    [Theory]
    [InlineData(1e-5, "1.0e-05")]
    [InlineData(1e-4, "0.0001")]
    [InlineData(3600.0, "3600.0")]
    [InlineData(3600.5, "3600.5")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e20, "1.0e+20")]
    [InlineData(-2.5e-300, "-2.5e-300")]
    [InlineData(0.0, "0.0")]
    public void FloatsKeepADotAndASignedExponentLikePythonRepr(double value, string expected) =>
        Assert.Equal(expected, ArtifactFormat.Float(value, "x"));

    [Fact]
    public void FloatsRoundTripExactly()
    {
        var random = new Random(3);
        for (int i = 0; i < 2000; i++)
        {
            double v = (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-30, 30));
            Assert.Equal(v, double.Parse(ArtifactFormat.Float(v, "x"), CultureInfo.InvariantCulture));
        }
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void NonFiniteFloatsAreRefusedNamingTheValue(double value)
    {
        var e = Assert.Throws<ArgumentException>(() => ArtifactFormat.Float(value, "epoch 3 val_loss"));
        Assert.Contains("epoch 3 val_loss", e.Message);
    }

    [Fact]
    public void TimestampsAreIso8601WithOffsetAndParseBack()
    {
        var t = new DateTimeOffset(2024, 1, 15, 10, 30, 0, 250, TimeSpan.FromHours(-5));
        string text = ArtifactFormat.Timestamp(t);
        Assert.Equal("2024-01-15T10:30:00.250-05:00", text);
        Assert.True(ArtifactFormat.TryParseTimestamp(text, out var back));
        Assert.Equal(t, back);
        Assert.False(ArtifactFormat.TryParseTimestamp("2024-01-15T10:30:00", out _)); // the guide's example lacks the offset
    }
}
