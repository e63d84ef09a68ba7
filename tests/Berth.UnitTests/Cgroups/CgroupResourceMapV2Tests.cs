using Berth.Oci;
using Berth.Runtime.Cgroups;

namespace Berth.UnitTests.Cgroups;

public sealed class CgroupResourceMapV2Tests
{
    private static string[] Map(LinuxResources r) => CgroupResourceMapV1Tests.Lines(CgroupResourceMap.MapV2(r));

    private static SpecException Refused(LinuxResources r) => Assert.Throws<SpecException>(() => CgroupResourceMap.MapV2(r));

    [Fact]
    public void EmptyResourcesWriteNothing() => Assert.Empty(Map(new LinuxResources()));

    [Fact]
    public void SwapIsConvertedToSwapAlone()
    {
        var r = new LinuxResources { Memory = new() { Limit = 64 << 20, Swap = 96 << 20, Reservation = 32 << 20 } };
        Assert.Equal(["memory:memory.swap.max=33554432", "memory:memory.max=67108864", "memory:memory.low=33554432"], Map(r));
    }

    [Fact]
    public void SwapEqualToLimitMeansNoSwap()
        => Assert.Equal(["memory:memory.swap.max=0", "memory:memory.max=67108864"], Map(new LinuxResources { Memory = new() { Limit = 64 << 20, Swap = 64 << 20 } }));

    [Fact]
    public void UnlimitedValuesAreMax()
    {
        var writes = CgroupResourceMap.MapV2(new LinuxResources { Memory = new() { Limit = -1, Reservation = -1 } });
        Assert.Equal(["memory:memory.swap.max=max", "memory:memory.max=max", "memory:memory.low=max"], CgroupResourceMapV1Tests.Lines(writes));
        Assert.True(writes[0].IfExists); // implied by the unlimited limit: only where swap accounting exists
    }

    [Fact]
    public void ExplicitUnlimitedSwap()
    {
        var writes = CgroupResourceMap.MapV2(new LinuxResources { Memory = new() { Limit = 64 << 20, Swap = -1 } });
        Assert.Equal(["memory:memory.swap.max=max", "memory:memory.max=67108864"], CgroupResourceMapV1Tests.Lines(writes));
        Assert.False(writes[0].IfExists);
    }

    [Fact]
    public void SwapWithoutLimitIsRefused()
        => Assert.Contains("needs linux.resources.memory.limit", Refused(new LinuxResources { Memory = new() { Swap = 64 << 20 } }).Message);

    [Fact]
    public void SwapBelowLimitIsRefused()
        => Assert.StartsWith("linux.resources.memory.swap: 1048576 is below", Refused(new LinuxResources { Memory = new() { Limit = 2 << 20, Swap = 1 << 20 } }).Message);

    [Fact]
    public void V1OnlyMemoryKnobsAreNotes()
    {
        var notes = new List<string>();
        var writes = CgroupResourceMap.MapV2(new LinuxResources { Memory = new() { Swappiness = 60, DisableOomKiller = true, Kernel = 1 << 20 } }, notes);
        Assert.Empty(writes);
        Assert.Equal(3, notes.Count);
        Assert.Contains(notes, n => n.StartsWith("linux.resources.memory.swappiness", StringComparison.Ordinal));
        Assert.Contains(notes, n => n.StartsWith("linux.resources.memory.disableOOMKiller", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(2UL, 1UL)]
    [InlineData(1024UL, 39UL)]
    [InlineData(262144UL, 10000UL)]
    public void SharesBecomeWeightWithRuncsFormula(ulong shares, ulong weight)
    {
        Assert.Equal(weight, CgroupResourceMap.SharesToWeight(shares));
        Assert.Equal([$"cpu:cpu.weight={weight}"], Map(new LinuxResources { Cpu = new() { Shares = shares } }));
    }

    [Theory]
    [InlineData(50000L, 100000UL, "50000 100000")]
    [InlineData(50000L, null, "50000")]
    [InlineData(-1L, 100000UL, "max 100000")]
    [InlineData(null, 250000UL, "max 250000")]
    public void CpuMax(long? quota, ulong? period, string expected)
        => Assert.Equal([$"cpu:cpu.max={expected}"], Map(new LinuxResources { Cpu = new() { Quota = quota, Period = period } }));

    [Fact]
    public void BurstIdleAndCpuset()
        => Assert.Equal(["cpu:cpu.max.burst=5000", "cpu:cpu.idle=1", "cpuset:cpuset.cpus=0", "cpuset:cpuset.mems=0"],
            Map(new LinuxResources { Cpu = new() { Burst = 5000, Idle = 1, Cpus = "0", Mems = "0" } }));

    [Fact]
    public void RealtimeIsRefused()
        => Assert.Contains("real-time", Refused(new LinuxResources { Cpu = new() { RealtimeRuntime = 1000 } }).Message);

    [Fact]
    public void Pids() => Assert.Equal(["pids:pids.max=max"], Map(new LinuxResources { Pids = new() { Limit = 0 } }));

    [Theory]
    [InlineData((ushort)10, 1UL)]
    [InlineData((ushort)500, 4950UL)]
    [InlineData((ushort)1000, 10000UL)]
    public void BlkioWeightBecomesIoWeightWithRuncsFormula(ushort weight, ulong ioWeight)
    {
        Assert.Equal(ioWeight, CgroupResourceMap.BlkioWeightToIoWeight(weight));
        var w = Assert.Single(CgroupResourceMap.MapV2(new LinuxResources { BlockIo = new() { Weight = weight } }));
        Assert.Equal(("io", "io.weight", $"{ioWeight}"), (w.Controller, w.File, w.Value));
        Assert.Equal(("io.bfq.weight", $"{weight}"), (w.FallbackFile, w.FallbackValue));
    }

    [Fact]
    public void WeightDevice()
    {
        var w = Assert.Single(CgroupResourceMap.MapV2(new LinuxResources { BlockIo = new() { WeightDevice = [new() { Major = 8, Minor = 0, Weight = 500 }] } }));
        Assert.Equal("8:0 4950", w.Value);
        Assert.Equal("8:0 500", w.FallbackValue);
    }

    [Fact]
    public void IoMaxCombinesTheThrottlesOfADevice()
    {
        var r = new LinuxResources
        {
            BlockIo = new()
            {
                ThrottleReadBpsDevice = [new() { Major = 8, Minor = 0, Rate = 1048576 }, new() { Major = 8, Minor = 16, Rate = 10 }],
                ThrottleWriteBpsDevice = [new() { Major = 8, Minor = 0, Rate = 2097152 }],
                ThrottleReadIopsDevice = [new() { Major = 8, Minor = 0, Rate = 100 }],
                ThrottleWriteIopsDevice = [new() { Major = 8, Minor = 0, Rate = 0 }],
            },
        };
        Assert.Equal(["io:io.max=8:0 rbps=1048576 wbps=2097152 riops=100 wiops=max", "io:io.max=8:16 rbps=10"], Map(r));
    }

    [Fact]
    public void Hugetlb()
        => Assert.Equal(["hugetlb:hugetlb.2MB.max=2097152"], Map(new LinuxResources { HugepageLimits = [new() { PageSize = "2MB", Limit = 2097152 }] }));

    [Fact]
    public void NetworkIsRefused()
        => Assert.StartsWith("linux.resources.network:", Refused(new LinuxResources { Network = new() { ClassId = 1 } }).Message);

    [Fact]
    public void DevicesAreValidatedButAreNotFiles()
    {
        Assert.Empty(Map(new LinuxResources { Devices = [new() { Allow = true, Type = "c", Major = 1, Minor = 3 }] }));
        Assert.StartsWith("linux.resources.devices[0].type", Refused(new LinuxResources { Devices = [new() { Type = "p" }] }).Message);
    }

    [Fact]
    public void UnifiedKeysAreWrittenLastAsGiven()
    {
        var r = new LinuxResources
        {
            Pids = new() { Limit = 10 },
            Unified = new() { ["pids.max"] = "20", ["memory.high"] = "1073741824", ["cgroup.freeze"] = "0" },
        };
        Assert.Equal(["pids:pids.max=10", "cgroup:cgroup.freeze=0", "memory:memory.high=1073741824", "pids:pids.max=20"], Map(r));
    }

    [Theory]
    [InlineData("../memory.max")]
    [InlineData("memory/max")]
    [InlineData("nodot")]
    [InlineData(".hidden")]
    [InlineData("memory.")]
    [InlineData("memory..max")]
    public void UnifiedKeyMustBeAFileName(string key)
    {
        var e = Refused(new LinuxResources { Unified = new() { [key] = "1" } });
        Assert.StartsWith($"linux.resources.unified[\"{key}\"]: not a cgroup file name", e.Message);
    }

    [Theory]
    [InlineData("cgroup.procs")]
    [InlineData("cgroup.subtree_control")]
    [InlineData("cgroup.kill")]
    public void UnifiedCannotTouchWhatTheRuntimeManages(string key)
        => Assert.Contains("managed by the runtime", Refused(new LinuxResources { Unified = new() { [key] = "1" } }).Message);
}
