using Berth.Engine.Containers;

namespace Berth.UnitTests.Engine;

/// <summary>docker top's reading of ps output, and docker stats' CPU and memory percentages.</summary>
public sealed class TopAndStatsTests
{
    private const string PsEf =
        "UID          PID    PPID  C STIME TTY          TIME CMD\n" +
        "root           1       0  0 10:00 ?        00:00:01 /sbin/init\n" +
        "root         200       1  0 10:01 ?        00:00:00 sleep 600\n" +
        "1000         201     200  3 10:01 pts/0    00:00:02 sh -c while :; do :; done\n" +
        "root         300       1  0 10:02 ?        00:00:00 other\n";

    [Fact]
    public void TopKeepsTheContainersRowsWithTheCommandAsOneCell()
    {
        var table = ContainerEngine.FilterPs(PsEf, new HashSet<int> { 200, 201 });
        Assert.Equal(["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"], table.Titles);
        Assert.Equal(2, table.Processes.Count);
        Assert.Equal(["root", "200", "1", "0", "10:01", "?", "00:00:00", "sleep 600"], table.Processes[0]);
        Assert.Equal("sh -c while :; do :; done", table.Processes[1][^1]);
    }

    [Fact]
    public void TopKeepsThreadRowsOfAKeptProcessOnly()
    {
        // ps -eLf style: a thread row has "-" where the pid was.
        const string threads =
            "PID   LWP CMD\n" +
            "200     - sleep\n" +
            "  -   200 -\n" +
            "300     - other\n" +
            "  -   300 -\n";
        var table = ContainerEngine.FilterPs(threads, new HashSet<int> { 200 });
        Assert.Equal([["200", "-", "sleep"], ["-", "200", "-"]], table.Processes.Select(p => p.ToArray()).ToArray());
    }

    [Fact]
    public void TopNeedsAPidColumn()
    {
        var e = Assert.Throws<ContainerException>(() => ContainerEngine.FilterPs("USER COMMAND\nroot init\n", new HashSet<int> { 1 }));
        Assert.Equal("Couldn't find PID field in ps output", e.Message);
    }

    [Fact]
    public void CpuPercentIsTheShareOfTheHostsTimeTimesItsCpus()
    {
        var before = new ContainerStats { Id = "a", Name = "a", Running = true, CpuTotal = 1_000_000_000, SystemCpu = 100_000_000_000, OnlineCpus = 4 };
        // Half a CPU for one second, on 4 CPUs: 4 s of host time passed.
        var after = new ContainerStats { Id = "a", Name = "a", Running = true, CpuTotal = 1_500_000_000, SystemCpu = 104_000_000_000, OnlineCpus = 4 };
        Assert.Equal(50, ContainerStats.CpuPercent(before, after), 6);
        Assert.Equal(0, ContainerStats.CpuPercent(null, after));
        Assert.Equal(0, ContainerStats.CpuPercent(after, after));
    }

    [Fact]
    public void MemoryPercentIsOfTheLimit()
    {
        var s = new ContainerStats { Id = "a", Name = "a", Running = true, MemoryUsage = 16 << 20, MemoryLimit = 64 << 20 };
        Assert.Equal(25, s.MemoryPercent, 6);
        Assert.Equal(0, new ContainerStats { Id = "b", Name = "b" }.MemoryPercent);
    }
}
