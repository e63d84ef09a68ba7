using Berth.Linux;
using Berth.Oci;

namespace Berth.UnitTests.Linux;

public sealed class CapabilitiesTests
{
    [Theory]
    [InlineData("CAP_CHOWN", 0)]
    [InlineData("CAP_KILL", 5)]
    [InlineData("CAP_NET_BIND_SERVICE", 10)]
    [InlineData("CAP_SYS_ADMIN", 21)]
    [InlineData("CAP_AUDIT_WRITE", 29)]
    [InlineData("CAP_SETFCAP", 31)]
    [InlineData("CAP_MAC_OVERRIDE", 32)]
    [InlineData("CAP_AUDIT_READ", 37)]
    [InlineData("CAP_PERFMON", 38)]
    [InlineData("CAP_BPF", 39)]
    [InlineData("CAP_CHECKPOINT_RESTORE", 40)]
    public void NamesMapToKernelNumbers(string name, int number)
    {
        Assert.Equal(number, Capabilities.Parse(name));
        Assert.Equal(name, Capabilities.NameOf(number));
    }

    [Fact]
    public void TableCoversZeroToLastCap()
    {
        Assert.Equal(41, Capabilities.Names.Count);
        Assert.Equal(40, Capabilities.CAP_LAST_CAP);
        Assert.Equal(Capabilities.Names.Count, Capabilities.Names.Distinct().Count());
    }

    [Fact]
    public void UnknownNamesAreErrors()
    {
        var e = Assert.Throws<ArgumentException>(() => Capabilities.Mask(["CAP_KILL", "CAP_TELEPORT"], 40));
        Assert.Equal("unknown capability \"CAP_TELEPORT\"", e.Message);
        Assert.False(Capabilities.TryParse("cap_kill", out _));
    }

    [Fact]
    public void MaskSetsOneBitPerCapability()
    {
        Assert.Equal(0UL, Capabilities.Mask([], 40));
        Assert.Equal((1UL << 29) | (1UL << 5) | (1UL << 10),
            Capabilities.Mask(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"], 40));
        Assert.Equal(1UL << 21, Capabilities.Mask(["CAP_SYS_ADMIN", "CAP_SYS_ADMIN"], 40));
        Assert.Equal((1UL << 41) - 1, Capabilities.Mask(Capabilities.Names, 40));
    }

    [Fact]
    public void MaskIgnoresCapabilitiesTheKernelDoesNotHave()
    {
        // A 5.4 kernel stops at CAP_AUDIT_READ (37): PERFMON, BPF and CHECKPOINT_RESTORE are dropped.
        Assert.Equal((1UL << 38) - 1, Capabilities.Mask(Capabilities.Names, 37));
        Assert.Equal(0UL, Capabilities.Mask(["CAP_BPF"], 37));
    }

    [Fact]
    public void NamesOfInvertsMask()
    {
        string[] names = ["CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_CHECKPOINT_RESTORE"];
        Assert.Equal(names, Capabilities.NamesOf(Capabilities.Mask(names, 40)));
        Assert.Empty(Capabilities.NamesOf(0));
    }

    [Theory]
    [InlineData("40\n", 40)]
    [InlineData("37", 37)]
    [InlineData("", null)]
    [InlineData("-1\n", null)]
    [InlineData("x", null)]
    public void ParsesCapLastCap(string text, int? expected) => Assert.Equal(expected, Capabilities.ParseLastCap(text));

    [Fact]
    public void LastCapIsTheRunningKernelsCappedAtTheTable()
    {
        int expected = File.Exists("/proc/sys/kernel/cap_last_cap")
            ? Math.Min(int.Parse(File.ReadAllText("/proc/sys/kernel/cap_last_cap").Trim()), 40)
            : 40;
        Assert.Equal(expected, Capabilities.LastCap);
    }

    [Fact]
    public void NameOfRejectsUnknownNumbers()
        => Assert.Throws<ArgumentOutOfRangeException>(() => Capabilities.NameOf(41));
}
