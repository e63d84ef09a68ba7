using Berth.IntegrationTests.Cgroups;

namespace Berth.IntegrationTests.Containers;

/// <summary>berth stats, update and port end to end: what the cgroups hold, read and changed.</summary>
[Collection("images")]
public sealed class StatsAndUpdateTests(EngineStore store) : IClassFixture<EngineStore>
{
    private const string MemoryCgroup = "/sys/fs/cgroup/memory/berth";

    private void WithContainer(string name, string[] runFlags, string[] command, Action<string> body)
    {
        string id = store.Berth(["run", "-d", "--name", name, .. runFlags, "busybox", .. command]).Ok().Stdout.Trim();
        try { body(id); }
        finally { store.Berth("rm", "-f", name); }
    }

    private static string CgroupFile(string id, string file) => File.ReadAllText(Path.Combine(MemoryCgroup, id, file)).Trim();

    [Fact]
    public void StatsNoStreamShowsTheContainerWithItsMemoryLimit()
    {
        WithContainer("stats-limited", ["-m", "64m"], ["sleep", "600"], id =>
        {
            var lines = store.Berth("stats", "--no-stream").Ok().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("CONTAINER ID   NAME   CPU %   MEM USAGE / LIMIT   MEM %   NET I/O   BLOCK I/O   PIDS",
                string.Join("   ", lines[0].Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
            string row = Assert.Single(lines.Skip(1), l => l.StartsWith(id[..12], StringComparison.Ordinal));
            Assert.Matches(@"^[0-9a-f]{12}\s+stats-limited\s+[0-9]+\.[0-9]{2}%\s+[0-9.]+(B|KiB|MiB) / 64MiB\s+[0-9]+\.[0-9]{2}%\s+0B / 0B\s+\S+ / \S+\s+1$", row);

            var formatted = store.Berth("stats", "--no-stream", "--no-trunc", "--format", "{{.ID}} {{.Name}} {{.MemUsage}} {{.PIDs}}", "stats-limited").Ok().Stdout;
            Assert.Matches($"^{id} stats-limited [0-9.]+(B|KiB|MiB) / 64MiB 1\n$", formatted);
        });
    }

    [Fact]
    public void StatsMeasuresCpuAndShowsHostNetworkAsUnknown()
    {
        // A busy loop held to half a CPU: docker's CPU % is of one CPU, so about 50%.
        WithContainer("stats-busy", ["--cpus", "0.5", "--network", "host"], ["sh", "-c", "while :; do :; done"], id =>
        {
            var r = store.Berth("stats", "--no-stream", "--format", "{{.CPUPerc}} {{.NetIO}} {{.MemUsage}}", "stats-busy").Ok().Stdout.Trim();
            var fields = r.Split(' ');
            double cpu = double.Parse(fields[0].TrimEnd('%'), System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(cpu, 10, 65);
            Assert.Equal("--", fields[1]);
            // No limit: the host's memory is the limit shown.
            Assert.DoesNotContain("/ 0B", r);
        });
        var missing = store.Berth("stats", "--no-stream", "no-such-container");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("No such container", missing.Stderr);
    }

    [RootFact(HostFeatures.MemoryV1)]
    public void UpdateMemoryChangesTheLiveCgroupAndHostConfig()
    {
        WithContainer("update-memory", ["-m", "64m"], ["sleep", "600"], id =>
        {
            Assert.Equal("67108864", CgroupFile(id, "memory.limit_in_bytes"));
            var r = store.Berth("update", "--memory", "128m", "update-memory").Ok();
            Assert.Equal("update-memory\n", r.Stdout);
            Assert.Equal("134217728", CgroupFile(id, "memory.limit_in_bytes"));
            // Swap unset: memory and as much swap again, as at run.
            Assert.Equal("268435456", CgroupFile(id, "memory.memsw.limit_in_bytes"));
            Assert.Equal("134217728", store.Inspect("update-memory", "{{.HostConfig.Memory}}"));
            Assert.Contains("/ 128MiB", store.Berth("stats", "--no-stream", "--format", "{{.MemUsage}}", "update-memory").Ok().Stdout);

            // docker's checks, and nothing changed by a refused update.
            var tooSmall = store.Berth("update", "-m", "1k", "update-memory");
            Assert.Equal(1, tooSmall.ExitCode);
            Assert.Contains("Minimum memory limit allowed is 6MB", tooSmall.Stderr);
            var badValue = store.Berth("update", "-m", "12x", "update-memory");
            Assert.Equal(125, badValue.ExitCode);
            Assert.Contains("invalid argument \"12x\" for \"-m, --memory\" flag: invalid suffix: 'x'", badValue.Stderr);
            var none = store.Berth("update", "update-memory");
            Assert.Equal(1, none.ExitCode);
            Assert.Contains("you must provide one or more flags", none.Stderr);
            Assert.Equal("134217728", CgroupFile(id, "memory.limit_in_bytes"));
        });
    }

    [RootFact(HostFeatures.MemoryV1)]
    public void UpdateOfAStoppedContainerAppliesAtItsStart()
    {
        string id = store.Berth("create", "--name", "update-created", "busybox", "sleep", "600").Ok().Stdout.Trim();
        try
        {
            store.Berth("update", "--memory", "48m", "--pids-limit", "20", "update-created").Ok();
            Assert.Equal("50331648 20", store.Inspect("update-created", "{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}"));
            store.Berth("start", "update-created").Ok();
            Assert.Equal("50331648", CgroupFile(id, "memory.limit_in_bytes"));
            Assert.Equal("20", File.ReadAllText($"/sys/fs/cgroup/pids/berth/{id}/pids.max").Trim());
        }
        finally { store.Berth("rm", "-f", "update-created"); }
    }

    [Fact]
    public void UpdateRestartChangesThePolicyOfARunningContainer()
    {
        // Runs for a few seconds and fails; with no policy it would stay exited.
        WithContainer("update-restart", [], ["sh", "-c", "sleep 3; exit 3"], id =>
        {
            store.Berth("update", "--restart", "on-failure:2", "update-restart").Ok();
            Assert.Equal("on-failure 2", store.Inspect("update-restart", "{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}"));
            RunTests.WaitFor(() => store.Inspect("update-restart", "{{.State.Status}} {{.RestartCount}}") == "exited 2", 30_000);
            Assert.Equal("3", store.Inspect("update-restart", "{{.State.ExitCode}}"));

            var bad = store.Berth("update", "--restart", "sometimes", "update-restart");
            Assert.Equal(1, bad.ExitCode);
            Assert.Contains("invalid restart policy", bad.Stderr);
        });
        store.Berth("create", "--rm", "--name", "update-autoremove", "busybox", "true").Ok();
        try
        {
            var refused = store.Berth("update", "--restart", "always", "update-autoremove");
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains("Restart policy cannot be updated because AutoRemove is enabled for the container", refused.Stderr);
        }
        finally { store.Berth("rm", "-f", "update-autoremove"); }
    }

    [Fact]
    public void PortListsNothingAndRefusesAPort()
    {
        WithContainer("port-none", [], ["sleep", "600"], _ =>
        {
            Assert.Equal("", store.Berth("port", "port-none").Ok().Stdout);
            var r = store.Berth("port", "port-none", "80");
            Assert.Equal(1, r.ExitCode);
            Assert.Equal("Error: No public port '80/tcp' published for port-none\n", r.Stderr);
            Assert.Contains("'53/udp'", store.Berth("port", "port-none", "53/udp").Stderr);
        });
    }
}
