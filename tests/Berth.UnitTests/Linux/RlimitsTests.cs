using Berth.Linux;
using Berth.Oci;

namespace Berth.UnitTests.Linux;

public sealed class RlimitsTests
{
    [Theory]
    [InlineData("RLIMIT_CPU", 0)]
    [InlineData("RLIMIT_FSIZE", 1)]
    [InlineData("RLIMIT_DATA", 2)]
    [InlineData("RLIMIT_STACK", 3)]
    [InlineData("RLIMIT_CORE", 4)]
    [InlineData("RLIMIT_RSS", 5)]
    [InlineData("RLIMIT_NPROC", 6)]
    [InlineData("RLIMIT_NOFILE", 7)]
    [InlineData("RLIMIT_MEMLOCK", 8)]
    [InlineData("RLIMIT_AS", 9)]
    [InlineData("RLIMIT_LOCKS", 10)]
    [InlineData("RLIMIT_SIGPENDING", 11)]
    [InlineData("RLIMIT_MSGQUEUE", 12)]
    [InlineData("RLIMIT_NICE", 13)]
    [InlineData("RLIMIT_RTPRIO", 14)]
    [InlineData("RLIMIT_RTTIME", 15)]
    public void NamesMapToX8664ResourceNumbers(string name, int resource)
    {
        Assert.Equal(resource, Rlimits.Parse(name));
        Assert.Equal(name, Rlimits.NameOf(resource));
    }

    [Fact]
    public void EveryResourceHasAName()
        => Assert.Equal(Rlimits.RLIM_NLIMITS, Rlimits.Names.Count);

    [Fact]
    public void UnknownNamesAreErrors()
    {
        var e = Assert.Throws<ArgumentException>(() => Rlimits.Parse("RLIMIT_FUN"));
        Assert.Equal("unknown rlimit \"RLIMIT_FUN\"", e.Message);
        Assert.False(Rlimits.TryParse("rlimit_nofile", out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => Rlimits.NameOf(16));
    }
}
