using System.Text.Json;
using Berth.Runtime.Cgroups;

namespace Berth.UnitTests.Cgroups;

public sealed class CgroupStatsTests
{
    [Fact]
    public void KeyValues()
    {
        var kv = CgroupStatsParser.KeyValues("cache 4096\nrss 8192\ntotal_cache 12288\nbogus\noom_kill_disable 0\nunder_oom x\n");
        Assert.Equal(4096UL, kv["cache"]);
        Assert.Equal(12288UL, kv["total_cache"]);
        Assert.Equal(0UL, kv["oom_kill_disable"]);
        Assert.False(kv.ContainsKey("bogus"));
        Assert.False(kv.ContainsKey("under_oom"));
    }

    [Fact]
    public void PerCpu() => Assert.Equal([123UL, 0UL, 456UL], CgroupStatsParser.PerCpu("123 0 456 \n"));

    [Fact]
    public void CpuacctStatTicksBecomeNanoseconds()
        => Assert.Equal((250_000_000UL, 30_000_000UL), CgroupStatsParser.CpuacctStat("user 25\nsystem 3\n"));

    [Fact]
    public void BlkioV1DropsTheTotalLine()
    {
        var entries = CgroupStatsParser.BlkioV1("8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n253:1 Total 1\nTotal 12288\n");
        Assert.Equal(
        [
            new BlkioEntry(8, 0, "Read", 4096), new BlkioEntry(8, 0, "Write", 8192),
            new BlkioEntry(8, 0, "Sync", 0), new BlkioEntry(253, 1, "Total", 1),
        ], entries);
    }

    [Fact]
    public void IoStatV2()
    {
        var (bytes, ios) = CgroupStatsParser.IoStatV2("8:0 rbytes=1024 wbytes=2048 rios=3 wios=4 dbytes=0 dios=0\n259:0 rbytes=1 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n");
        Assert.Equal(new BlkioEntry(8, 0, "Read", 1024), bytes[0]);
        Assert.Equal(new BlkioEntry(8, 0, "Write", 2048), bytes[1]);
        Assert.Equal(new BlkioEntry(259, 0, "Read", 1), bytes[3]);
        Assert.Equal(new BlkioEntry(8, 0, "Write", 4), ios[1]);
        Assert.Equal(6, bytes.Count);
    }

    [Theory]
    [InlineData("hugepages-2048kB", "2MB")]
    [InlineData("hugepages-1048576kB", "1GB")]
    [InlineData("hugepages-64kB", "64KB")]
    [InlineData("hugepages-32768kB", "32MB")]
    [InlineData("other", null)]
    [InlineData("hugepages-kB", null)]
    public void HugePageSizeNames(string dir, string? size) => Assert.Equal(size, CgroupStatsParser.HugePageSize(dir));

    [Theory]
    [InlineData("max\n", 0UL)]
    [InlineData("42\n", 42UL)]
    public void PidsLimit(string text, ulong limit) => Assert.Equal(limit, CgroupStatsParser.PidsLimit(text));

    [Fact]
    public void SerializesWithRuncsNames()
    {
        var stats = new CgroupStats();
        stats.Cpu.Usage.Total = 5;
        stats.Cpu.Usage.Percpu = [2, 3];
        stats.Memory.Usage = new MemoryEntry { Usage = 10, Limit = ulong.MaxValue };
        stats.Memory.Raw = new() { ["cache"] = 1 };
        stats.Pids.Current = 1;
        stats.Blkio.IoServiceBytesRecursive = [new BlkioEntry(8, 0, "Read", 7)];
        stats.Hugetlb["2MB"] = new HugetlbStats { Usage = 0, Failcnt = 0 };

        string json = JsonSerializer.Serialize(stats, CgroupStatsJsonContext.Default.CgroupStats);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal(5UL, root.GetProperty("cpu").GetProperty("usage").GetProperty("total").GetUInt64());
        Assert.Equal(2, root.GetProperty("cpu").GetProperty("usage").GetProperty("percpu").GetArrayLength());
        Assert.False(root.GetProperty("cpu").GetProperty("usage").TryGetProperty("percpu_kernel", out _));
        Assert.Equal(0UL, root.GetProperty("cpu").GetProperty("usage").GetProperty("kernel").GetUInt64());
        Assert.False(root.GetProperty("cpu").GetProperty("throttling").TryGetProperty("periods", out _)); // omitempty
        Assert.Equal(ulong.MaxValue, root.GetProperty("memory").GetProperty("usage").GetProperty("limit").GetUInt64());
        Assert.Equal(0UL, root.GetProperty("memory").GetProperty("swap").GetProperty("failcnt").GetUInt64());
        Assert.Equal(1UL, root.GetProperty("memory").GetProperty("raw").GetProperty("cache").GetUInt64());
        Assert.Equal(1UL, root.GetProperty("pids").GetProperty("current").GetUInt64());
        Assert.False(root.GetProperty("pids").TryGetProperty("limit", out _));
        var entry = root.GetProperty("blkio").GetProperty("ioServiceBytesRecursive")[0];
        Assert.Equal("Read", entry.GetProperty("op").GetString());
        Assert.Equal(8UL, entry.GetProperty("major").GetUInt64());
        Assert.False(entry.TryGetProperty("minor", out _)); // omitempty
        Assert.Equal(0UL, root.GetProperty("hugetlb").GetProperty("2MB").GetProperty("failcnt").GetUInt64());
    }
}
