using Berth.Oci;
using Berth.Runtime.Cgroups;

namespace Berth.UnitTests.Cgroups;

public sealed class CgroupResourceMapV1Tests
{
    internal static string[] Lines(IReadOnlyList<CgroupWrite> writes) => writes.Select(w => $"{w.Controller}:{w.File}={w.Value}").ToArray();

    private static string[] Map(LinuxResources r) => Lines(CgroupResourceMap.MapV1(r));

    private static SpecException Refused(LinuxResources r) => Assert.Throws<SpecException>(() => CgroupResourceMap.MapV1(r));

    [Fact]
    public void EmptyResourcesWriteNothing() => Assert.Empty(Map(new LinuxResources()));

    [Fact]
    public void MemoryLimitsInOrder()
    {
        var r = new LinuxResources { Memory = new() { Limit = 64 << 20, Swap = 128 << 20, Reservation = 32 << 20, Swappiness = 10, DisableOomKiller = true } };
        Assert.Equal(
        [
            "memory:memory.limit_in_bytes=67108864",
            "memory:memory.memsw.limit_in_bytes=134217728",
            "memory:memory.soft_limit_in_bytes=33554432",
            "memory:memory.swappiness=10",
            "memory:memory.oom_control=1",
        ], Map(r));
    }

    [Fact]
    public void MemoryAndSwapAreRetriedAfterTheBatchBecauseTheirOrderDependsOnTheCurrentValues()
    {
        var writes = CgroupResourceMap.MapV1(new LinuxResources { Memory = new() { Limit = 64 << 20, Swap = 128 << 20 } });
        Assert.All(writes, w => Assert.True(w.RetryAfterBatch));
        Assert.Equal("linux.resources.memory.limit", writes[0].Field);
        Assert.Equal("linux.resources.memory.swap", writes[1].Field);
    }

    [Fact]
    public void UnlimitedMemoryAlsoUnlimitsSwapWhereSwapAccountingExists()
    {
        var writes = CgroupResourceMap.MapV1(new LinuxResources { Memory = new() { Limit = -1 } });
        Assert.Equal(["memory:memory.limit_in_bytes=-1", "memory:memory.memsw.limit_in_bytes=-1"], Lines(writes));
        Assert.True(writes[1].IfExists);
    }

    [Fact]
    public void ZeroMeansUnsetAsInRunc()
        => Assert.Empty(Map(new LinuxResources { Memory = new() { Limit = 0, Swap = 0, Reservation = 0 }, Cpu = new() { Shares = 0, Quota = 0, Period = 0 } }));

    [Theory]
    [InlineData(4095L, "below the kernel minimum of 4096 bytes")]
    [InlineData(1L, "below the kernel minimum")]
    [InlineData(-2L, "negative")]
    public void MemoryLimitIsValidated(long limit, string message)
    {
        var e = Refused(new LinuxResources { Memory = new() { Limit = limit } });
        Assert.StartsWith($"linux.resources.memory.limit: {limit}", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void SwapBelowLimitIsRefused()
    {
        var e = Refused(new LinuxResources { Memory = new() { Limit = 128 << 20, Swap = 64 << 20 } });
        Assert.StartsWith("linux.resources.memory.swap: 67108864 is below linux.resources.memory.limit 134217728", e.Message);
    }

    [Fact]
    public void SwapAloneIsPassedThrough()
        => Assert.Equal(["memory:memory.memsw.limit_in_bytes=268435456"], Map(new LinuxResources { Memory = new() { Swap = 256 << 20 } }));

    [Fact]
    public void SwappinessAbove100IsRefused()
        => Assert.StartsWith("linux.resources.memory.swappiness: 101 is out of range 0-100", Refused(new LinuxResources { Memory = new() { Swappiness = 101 } }).Message);

    [Fact]
    public void KernelMemoryIsAcceptedAndIgnoredWithANote()
    {
        var notes = new List<string>();
        var writes = CgroupResourceMap.MapV1(new LinuxResources { Memory = new() { Kernel = 1 << 20, KernelTcp = 1 << 20 } }, notes);
        Assert.Empty(writes);
        Assert.Contains(notes, n => n.StartsWith("linux.resources.memory.kernel:", StringComparison.Ordinal) && n.Contains("ignored"));
        Assert.Contains(notes, n => n.StartsWith("linux.resources.memory.kernelTCP:", StringComparison.Ordinal));
    }

    [Fact]
    public void OomKillerCanBeReenabled()
        => Assert.Equal(["memory:memory.oom_control=0"], Map(new LinuxResources { Memory = new() { DisableOomKiller = false } }));

    [Fact]
    public void CpuPeriodBeforeQuota()
    {
        var r = new LinuxResources { Cpu = new() { Shares = 512, Quota = 50000, Period = 100000, Burst = 1000, Idle = 0 } };
        Assert.Equal(
        [
            "cpu:cpu.shares=512",
            "cpu:cpu.cfs_period_us=100000",
            "cpu:cpu.cfs_quota_us=50000",
            "cpu:cpu.cfs_burst_us=1000",
            "cpu:cpu.idle=0",
        ], Map(r));
        Assert.True(CgroupResourceMap.MapV1(r).Single(w => w.File == "cpu.cfs_period_us").RetryAfterBatch);
    }

    [Fact]
    public void UnlimitedQuota() => Assert.Equal(["cpu:cpu.cfs_quota_us=-1"], Map(new LinuxResources { Cpu = new() { Quota = -1 } }));

    [Fact]
    public void RealtimePeriodBeforeRuntime()
        => Assert.Equal(["cpu:cpu.rt_period_us=1000000", "cpu:cpu.rt_runtime_us=950000"],
            Map(new LinuxResources { Cpu = new() { RealtimeRuntime = 950000, RealtimePeriod = 1000000 } }));

    [Theory]
    [InlineData(1UL)]
    [InlineData(262145UL)]
    public void SharesOutOfRange(ulong shares)
        => Assert.StartsWith($"linux.resources.cpu.shares: {shares} is out of range 2-262144", Refused(new LinuxResources { Cpu = new() { Shares = shares } }).Message);

    [Theory]
    [InlineData(999UL)]
    [InlineData(1000001UL)]
    public void PeriodOutOfRange(ulong period)
        => Assert.StartsWith($"linux.resources.cpu.period: {period} is out of range 1000-1000000", Refused(new LinuxResources { Cpu = new() { Period = period } }).Message);

    [Theory]
    [InlineData(999L)]
    [InlineData(-2L)]
    public void QuotaBelowMinimum(long quota)
        => Assert.StartsWith($"linux.resources.cpu.quota: {quota} is below the minimum of 1000", Refused(new LinuxResources { Cpu = new() { Quota = quota } }).Message);

    [Fact]
    public void IdleMustBeZeroOrOne()
        => Assert.StartsWith("linux.resources.cpu.idle: 2 must be 0 or 1", Refused(new LinuxResources { Cpu = new() { Idle = 2 } }).Message);

    [Fact]
    public void Cpuset()
        => Assert.Equal(["cpuset:cpuset.cpus=0-1,3", "cpuset:cpuset.mems=0"], Map(new LinuxResources { Cpu = new() { Cpus = " 0-1,3 ", Mems = "0" } }));

    [Theory]
    [InlineData("0-")]
    [InlineData("a")]
    [InlineData("1,,2")]
    [InlineData("0-1-2")]
    public void CpusetSyntaxIsValidated(string cpus)
        => Assert.StartsWith("linux.resources.cpu.cpus:", Refused(new LinuxResources { Cpu = new() { Cpus = cpus } }).Message);

    [Fact]
    public void CpusetDescendingRangeIsRefused()
        => Assert.Contains("descending", Refused(new LinuxResources { Cpu = new() { Cpus = "3-1" } }).Message);

    [Theory]
    [InlineData(100L, "100")]
    [InlineData(0L, "max")]
    [InlineData(-1L, "max")]
    public void Pids(long limit, string expected)
        => Assert.Equal([$"pids:pids.max={expected}"], Map(new LinuxResources { Pids = new() { Limit = limit } }));

    [Fact]
    public void BlockIoWeightsFallBackToBfq()
    {
        var r = new LinuxResources
        {
            BlockIo = new()
            {
                Weight = 500,
                WeightDevice = [new() { Major = 8, Minor = 0, Weight = 300, LeafWeight = 200 }],
            },
        };
        var writes = CgroupResourceMap.MapV1(r);
        Assert.Equal(["blkio:blkio.weight=500", "blkio:blkio.weight_device=8:0 300", "blkio:blkio.leaf_weight_device=8:0 200"], Lines(writes));
        Assert.Equal(("blkio.bfq.weight", "500"), (writes[0].FallbackFile, writes[0].FallbackValue));
        Assert.Equal(("blkio.bfq.weight_device", "8:0 300"), (writes[1].FallbackFile, writes[1].FallbackValue));
        Assert.True(writes[2].IfExists);
    }

    [Fact]
    public void BlockIoThrottles()
    {
        var r = new LinuxResources
        {
            BlockIo = new()
            {
                ThrottleReadBpsDevice = [new() { Major = 8, Minor = 0, Rate = 1048576 }],
                ThrottleWriteBpsDevice = [new() { Major = 8, Minor = 16, Rate = 2097152 }],
                ThrottleReadIopsDevice = [new() { Major = 8, Minor = 0, Rate = 100 }],
                ThrottleWriteIopsDevice = [new() { Major = 253, Minor = 1, Rate = 200 }],
            },
        };
        Assert.Equal(
        [
            "blkio:blkio.throttle.read_bps_device=8:0 1048576",
            "blkio:blkio.throttle.write_bps_device=8:16 2097152",
            "blkio:blkio.throttle.read_iops_device=8:0 100",
            "blkio:blkio.throttle.write_iops_device=253:1 200",
        ], Map(r));
    }

    [Theory]
    [InlineData((ushort)9)]
    [InlineData((ushort)1001)]
    public void BlkioWeightOutOfRange(ushort weight)
        => Assert.StartsWith($"linux.resources.blockIO.weight: {weight} is out of range 10-1000", Refused(new LinuxResources { BlockIo = new() { Weight = weight } }).Message);

    [Fact]
    public void NegativeDeviceNumberIsRefused()
        => Assert.StartsWith("linux.resources.blockIO.throttleReadBpsDevice[0].major: -1",
            Refused(new LinuxResources { BlockIo = new() { ThrottleReadBpsDevice = [new() { Major = -1, Minor = 0, Rate = 1 }] } }).Message);

    [Fact]
    public void DevicesStartFromDenyAllAndKeepTheirOrder()
    {
        var r = new LinuxResources
        {
            Devices =
            [
                new() { Allow = true, Type = "c", Major = 1, Minor = 3, Access = "rwm" },
                new() { Allow = true, Type = "c", Major = 136, Minor = -1, Access = "wr" },
                new() { Allow = false, Type = "c", Major = 1, Minor = 3, Access = "w" },
            ],
        };
        Assert.Equal(
        [
            "devices:devices.deny=a *:* rwm",
            "devices:devices.allow=c 1:3 rwm",
            "devices:devices.allow=c 136:* rw",
            "devices:devices.deny=c 1:3 w",
        ], Map(r));
    }

    [Fact]
    public void DevicesThatBeginWithTheirOwnResetAreNotPrefixed()
    {
        var r = new LinuxResources
        {
            Devices = [new() { Allow = false, Access = "rwm" }, new() { Allow = true, Type = "b", Major = 8, Access = "r" }],
        };
        Assert.Equal(["devices:devices.deny=a *:* rwm", "devices:devices.allow=b 8:* r"], Map(r));
    }

    [Fact]
    public void AllowAllIsWrittenAsIs()
        => Assert.Equal(["devices:devices.allow=a *:* rwm"], Map(new LinuxResources { Devices = [new() { Allow = true, Type = "a" }] }));

    [Fact]
    public void EmptyDeviceListDeniesEverything()
        => Assert.Equal(["devices:devices.deny=a *:* rwm"], Map(new LinuxResources { Devices = [] }));

    [Theory]
    [InlineData("x", null, null, "rwm", "linux.resources.devices[0].type")]
    [InlineData("c", null, null, "rwx", "linux.resources.devices[0].access")]
    [InlineData("c", -5L, null, "r", "linux.resources.devices[0].major")]
    [InlineData("c", 1L, 4294967296L, "r", "linux.resources.devices[0].minor")]
    [InlineData("a", 1L, null, "rwm", "linux.resources.devices[0]: type \"a\"")]
    [InlineData("a", null, null, "r", "linux.resources.devices[0]: type \"a\"")]
    public void DeviceRulesAreValidated(string type, long? major, long? minor, string access, string message)
    {
        var r = new LinuxResources { Devices = [new() { Allow = true, Type = type, Major = major, Minor = minor, Access = access }] };
        Assert.StartsWith(message, Refused(r).Message);
    }

    [Fact]
    public void Hugetlb()
        => Assert.Equal(["hugetlb:hugetlb.2MB.limit_in_bytes=4194304", "hugetlb:hugetlb.1GB.limit_in_bytes=0"],
            Map(new LinuxResources { HugepageLimits = [new() { PageSize = "2MB", Limit = 4194304 }, new() { PageSize = "1GB", Limit = 0 }] }));

    [Theory]
    [InlineData("2M")]
    [InlineData("MB")]
    [InlineData("2mb")]
    [InlineData("02MB")]
    [InlineData("2MB/../x")]
    public void HugePageSizeIsValidated(string size)
        => Assert.StartsWith("linux.resources.hugepageLimits[0].pageSize:", Refused(new LinuxResources { HugepageLimits = [new() { PageSize = size, Limit = 1 }] }).Message);

    [Fact]
    public void Network()
        => Assert.Equal(["net_cls:net_cls.classid=1048577", "net_prio:net_prio.ifpriomap=eth0 5", "net_prio:net_prio.ifpriomap=lo 1"],
            Map(new LinuxResources { Network = new() { ClassId = 0x100001, Priorities = [new() { Name = "eth0", Priority = 5 }, new() { Name = "lo", Priority = 1 }] } }));

    [Fact]
    public void Rdma()
        => Assert.Equal(["rdma:rdma.max=mlx5_0 hca_handle=3 hca_object=100"],
            Map(new LinuxResources { Rdma = new() { ["mlx5_0"] = new() { HcaHandles = 3, HcaObjects = 100 } } }));

    [Fact]
    public void UnifiedNeedsV2()
        => Assert.StartsWith("linux.resources.unified: requires cgroup v2", Refused(new LinuxResources { Unified = new() { ["memory.high"] = "1M" } }).Message);

    [Fact]
    public void WritesNameTheirField()
    {
        var writes = CgroupResourceMap.MapV1(new LinuxResources
        {
            Pids = new() { Limit = 5 },
            Devices = [new() { Allow = true, Type = "c", Major = 1, Minor = 3 }],
            BlockIo = new() { ThrottleReadBpsDevice = [new() { Major = 8, Minor = 0, Rate = 1 }] },
        });
        Assert.All(writes, w => Assert.StartsWith("linux.resources.", w.Field));
        Assert.Contains(writes, w => w.Field == "linux.resources.devices[0]");
        Assert.Contains(writes, w => w.Field == "linux.resources.blockIO.throttleReadBpsDevice[0]");
    }
}
