using System.Diagnostics;

namespace Berth.IntegrationTests.Containers;

/// <summary>Restart policies, healthchecks, pause, rename, wait, --rm of detached containers, and containers that outlive a killed CLI or monitor.</summary>
[Collection("images")]
public sealed class LifecycleTests(EngineStore store) : IClassFixture<EngineStore>
{
    [Fact]
    public void OnFailureRestartsUpToItsCount()
    {
        store.Berth("run", "-d", "--name", "flaky", "--restart", "on-failure:2", "busybox", "sh", "-c", "exit 3").Ok();
        try
        {
            Assert.Equal("3", store.Berth("wait", "flaky").Ok().Stdout.Trim());
            RunTests.WaitFor(() => store.Inspect("flaky", "{{.State.Status}}") == "exited");
            Assert.Equal("2 3", store.Inspect("flaky", "{{.RestartCount}} {{.State.ExitCode}}"));
        }
        finally { store.Berth("rm", "-f", "flaky").Ok(); }
    }

    [Fact]
    public void AlwaysRestartsUntilStopped()
    {
        store.Berth("run", "-d", "--name", "phoenix", "--restart", "always", "busybox", "sh", "-c", "sleep 0.2").Ok();
        try
        {
            RunTests.WaitFor(() => int.Parse(store.Inspect("phoenix", "{{.RestartCount}}")) >= 2);
            store.Berth("stop", "-t", "1", "phoenix").Ok();
            string count = store.Inspect("phoenix", "{{.RestartCount}}");
            Thread.Sleep(700);
            Assert.Equal("exited", store.Inspect("phoenix", "{{.State.Status}}"));
            Assert.Equal(count, store.Inspect("phoenix", "{{.RestartCount}}"));
        }
        finally { store.Berth("rm", "-f", "phoenix").Ok(); }
    }

    [Fact]
    public void HealthchecksMakeAContainerHealthyOrUnhealthy()
    {
        store.Berth("run", "-d", "--name", "healthy", "--health-cmd", "test -e /tmp/ok", "--health-interval", "200ms", "--health-retries", "2",
            "busybox", "sh", "-c", "sleep 1; touch /tmp/ok; exec sleep 600").Ok();
        store.Berth("run", "-d", "--name", "sick", "--health-cmd", "exit 1", "--health-interval", "200ms", "--health-retries", "2",
            "busybox", "sleep", "600").Ok();
        try
        {
            RunTests.WaitFor(() => store.Inspect("healthy", "{{.State.Health.Status}}") == "healthy", 15_000);
            RunTests.WaitFor(() => store.Inspect("sick", "{{.State.Health.Status}}") == "unhealthy", 15_000);
            Assert.Contains("(healthy)", store.Berth("ps", "--filter", "name=healthy").Ok().Stdout);
            Assert.Contains("sick", store.Berth("ps", "--filter", "health=unhealthy", "--format", "{{.Names}}").Ok().Stdout);
        }
        finally { store.Berth("rm", "-f", "healthy", "sick").Ok(); }
    }

    [Fact]
    public void PauseRenameAndDetachedRm()
    {
        store.Berth("run", "-d", "--name", "sleeper", "busybox", "sleep", "600").Ok();
        try
        {
            store.Berth("pause", "sleeper").Ok();
            Assert.Equal("paused", store.Inspect("sleeper", "{{.State.Status}}"));
            Assert.Contains("(Paused)", store.Berth("ps").Ok().Stdout);
            store.Berth("unpause", "sleeper").Ok();
            Assert.Equal("running", store.Inspect("sleeper", "{{.State.Status}}"));
            store.Berth("rename", "sleeper", "dozer").Ok();
            Assert.Equal("/dozer", store.Inspect("dozer", "{{.Name}}"));
            Assert.Equal(1, store.Berth("inspect", "sleeper").ExitCode);
            Assert.Equal(125, store.Berth("create", "--name", "dozer", "busybox", "true").ExitCode);
        }
        finally { store.Berth("rm", "-f", "dozer").Ok(); }
        // --rm with -d: the monitor removes the container when it exits.
        string id = store.Berth("run", "-d", "--rm", "busybox", "sh", "-c", "sleep 0.3").Ok().Stdout.Trim();
        RunTests.WaitFor(() => store.Berth("ps", "-aq", "--no-trunc").Stdout.Trim().Length == 0);
        Assert.Empty(store.Leftovers([id]));
    }

    [Fact]
    public void ContainersOutliveAKilledCliAndMonitor()
    {
        // The CLI of an attached run is killed: the container goes on.
        var psi = new ProcessStartInfo(Harness.BerthBinary.PathToBinary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--root", store.Root, "--runroot", store.RunRoot, "run", "--name", "orphan", "busybox", "sleep", "600" }) psi.ArgumentList.Add(a);
        using (var cli = Process.Start(psi)!)
        {
            RunTests.WaitFor(() => store.Berth("inspect", "-f", "{{.State.Running}}", "orphan").Stdout.Trim() == "true");
            cli.Kill();
            cli.WaitForExit();
        }
        Assert.Equal("true", store.Inspect("orphan", "{{.State.Running}}"));
        // Now its monitor is killed: the container still runs, ps says so, and rm -f still cleans everything.
        string id = store.IdOf("orphan");
        int monitor = int.Parse(File.ReadAllText(Path.Combine(store.RunRoot, "containers", id, "monitor.pid")));
        Assert.Equal("berth-monitor", File.ReadAllText($"/proc/{monitor}/comm").Trim());
        Process.GetProcessById(monitor).Kill();
        RunTests.WaitFor(() => !Directory.Exists($"/proc/{monitor}"));
        Assert.Contains("orphan", store.Berth("ps").Ok().Stdout);
        int pid = int.Parse(store.Inspect("orphan", "{{.State.Pid}}"));
        Assert.True(Directory.Exists($"/proc/{pid}"));
        store.Berth("rm", "-f", "orphan").Ok();
        // Dead at once; gone from /proc once the machine's init has reaped it.
        RunTests.WaitFor(() => !Directory.Exists($"/proc/{pid}"));
        Assert.Empty(store.Leftovers([id]));
    }

    [Fact]
    public void AStoppedContainerStartsAgainAndKeepsItsFiles()
    {
        store.Berth("run", "--name", "keeper", "busybox", "sh", "-c", "echo one >> /kept; cat /kept").Ok();
        try
        {
            var again = store.Berth("start", "-a", "keeper").Ok();
            Assert.Equal("one\none\n", again.Stdout);
            Assert.Equal("one\none\none\n", store.Berth("logs", "keeper").Ok().Stdout[^12..]);
        }
        finally { store.Berth("rm", "keeper").Ok(); }
    }

    /// <summary>The monitor's process once it has re-executed itself with the running container's state (its hand-over).</summary>
    private int HandedOverMonitor(string name)
    {
        string id = store.IdOf(name);
        int monitor = int.Parse(File.ReadAllText(Path.Combine(store.RunRoot, "containers", id, "monitor.pid")));
        // The new image names itself berth-monitor a few milliseconds after its exec.
        RunTests.WaitFor(() => File.ReadAllText($"/proc/{monitor}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries).Length > 6
            && File.ReadAllText($"/proc/{monitor}/comm").Trim() == "berth-monitor");
        return monitor;
    }

    [Fact]
    public void AMonitorThatHandedOverStillServesTheContainer()
    {
        store.Berth("run", "-d", "-i", "--name", "relay", "busybox", "sh", "-c", "echo before; read x; echo \"after $x\"; exit 5").Ok();
        try
        {
            int monitor = HandedOverMonitor("relay");
            // Still the container's parent, with its pipes, socket and log: exec, attach with input, the exit.
            int pid = int.Parse(store.Inspect("relay", "{{.State.Pid}}"));
            Assert.Contains($"PPid:\t{monitor}\n", File.ReadAllText($"/proc/{pid}/status"));
            Assert.Equal("in\n", store.Berth("exec", "relay", "echo", "in").Ok().Stdout);
            var attached = store.BerthIn("hello\n", "attach", "relay");
            Assert.Equal(5, attached.ExitCode);
            Assert.Contains("after hello", attached.Stdout);
            Assert.Equal("exited 5", store.Inspect("relay", "{{.State.Status}} {{.State.ExitCode}}"));
            Assert.Equal("before\nafter hello\n", store.Berth("logs", "relay").Ok().Stdout);
            RunTests.WaitFor(() => !Directory.Exists($"/proc/{monitor}"));
        }
        finally { store.Berth("rm", "-f", "relay").Ok(); }
    }

    [Fact]
    public void AMonitorThatHandedOverRestartsTheContainer()
    {
        store.Berth("run", "-d", "--name", "relaunch", "--restart", "on-failure:1", "busybox", "sh", "-c", "echo run; sleep 1.5; exit 7").Ok();
        try
        {
            int monitor = HandedOverMonitor("relaunch");
            RunTests.WaitFor(() => store.Inspect("relaunch", "{{.RestartCount}} {{.State.Status}}") == "1 exited", 15_000);
            Assert.Equal("7", store.Inspect("relaunch", "{{.State.ExitCode}}"));
            Assert.Equal("run\nrun\n", store.Berth("logs", "relaunch").Ok().Stdout);
            RunTests.WaitFor(() => !Directory.Exists($"/proc/{monitor}"));
        }
        finally { store.Berth("rm", "-f", "relaunch").Ok(); }
    }

    [Fact]
    public void AMonitorThatHandedOverRunsHealthchecks()
    {
        // Checks 1.5 s apart leave the monitor quiet long enough to hand over between them.
        store.Berth("run", "-d", "--name", "checked", "--health-cmd", "test -e /tmp/ok", "--health-interval", "1500ms", "--health-retries", "1",
            "busybox", "sh", "-c", "sleep 4; touch /tmp/ok; exec sleep 600").Ok();
        try
        {
            int monitor = HandedOverMonitor("checked");
            RunTests.WaitFor(() => store.Inspect("checked", "{{.State.Health.Status}}") == "unhealthy", 15_000);
            RunTests.WaitFor(() => store.Inspect("checked", "{{.State.Health.Status}}") == "healthy", 15_000);
            Assert.Equal(monitor, int.Parse(File.ReadAllText(Path.Combine(store.RunRoot, "containers", store.IdOf("checked"), "monitor.pid"))));
            Assert.True(Directory.Exists($"/proc/{monitor}"));
        }
        finally { store.Berth("rm", "-f", "checked").Ok(); }
    }
}
