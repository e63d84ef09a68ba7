using Berth.IntegrationTests.ImageCommands;

namespace Berth.IntegrationTests.Containers;

/// <summary>berth run end to end: output, exit codes, the container's own settings, --rm.</summary>
[Collection("images")]
public sealed class RunTests(EngineStore store) : IClassFixture<EngineStore>
{
    [Fact]
    public void RunPrintsTheContainersOutputAndExitsWithItsCode()
    {
        var r = store.Berth("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3");
        Assert.Equal(3, r.ExitCode);
        Assert.Equal("out\n", r.Stdout);
        Assert.Equal("err\n", r.Stderr);
        Assert.Equal("", store.Berth("ps", "-aq").Ok().Stdout);
    }

    [Fact]
    public void FlagsStopAtTheImage()
    {
        // -l after the image belongs to ls, not to berth's --label.
        var r = store.Berth("run", "--rm", "busybox", "ls", "-l", "/bin/busybox").Ok();
        Assert.Contains("/bin/busybox", r.Stdout);
    }

    [Fact]
    public void EnvWorkdirUserAndHostnameReachTheProcess()
    {
        var r = store.Berth("run", "--rm", "-e", "GREETING=hi there", "-w", "/tmp", "-u", "1000:1001", "-h", "boat",
            "busybox", "sh", "-c", "echo \"$GREETING\"; pwd; id -u; id -g; hostname; cat /etc/hostname").Ok();
        Assert.Equal("hi there\n/tmp\n1000\n1001\nboat\nboat\n", r.Stdout);
    }

    [Fact]
    public void MissingOrNotExecutableCommandsGiveDockersCodes()
    {
        var missing = store.Berth("run", "--rm", "busybox", "no-such-command");
        Assert.Equal(127, missing.ExitCode);
        Assert.Contains("no-such-command", missing.Stderr);
        var notExecutable = store.Berth("run", "--rm", "busybox", "/etc/passwd");
        Assert.Equal(126, notExecutable.ExitCode);
        var noImage = store.Berth("run", "--rm", "--pull", "never", "no-such-image:v9", "true");
        Assert.Equal(125, noImage.ExitCode);
        Assert.Equal("", store.Berth("ps", "-aq").Ok().Stdout);
    }

    [Fact]
    public void StdinReachesAnInteractiveContainer()
    {
        var r = store.BerthIn("line one\nline two\n", "run", "--rm", "-i", "busybox", "cat").Ok();
        Assert.Equal("line one\nline two\n", r.Stdout);
    }

    [Fact]
    public void DetachedContainerRunsShowsInPsLogsAndStops()
    {
        var run = store.Berth("run", "-d", "--name", "detached-one", "busybox", "sh", "-c", "echo hello; echo oops >&2; exec sleep 600").Ok();
        string id = run.Stdout.Trim();
        Assert.Matches("^[0-9a-f]{64}$", id);
        try
        {
            var ps = store.Berth("ps").Ok().Stdout;
            Assert.Contains(id[..12], ps);
            Assert.Contains("detached-one", ps);
            Assert.Contains("Up ", ps);
            WaitFor(() => store.Berth("logs", "detached-one").Stdout == "hello\n");
            var logs = store.Berth("logs", "detached-one").Ok();
            Assert.Equal("hello\n", logs.Stdout);
            Assert.Equal("oops\n", logs.Stderr);
            Assert.Equal("true", store.Inspect("detached-one", "{{.State.Running}}"));
            // sleep as PID 1 ignores SIGTERM: stop kills it after the timeout.
            store.Berth("stop", "-t", "1", "detached-one").Ok();
            Assert.Equal("exited 137", store.Inspect("detached-one", "{{.State.Status}} {{.State.ExitCode}}"));
            Assert.Contains("Exited (137)", store.Berth("ps", "-a").Ok().Stdout);
            Assert.DoesNotContain(store.Leftovers([id]), l => !l.StartsWith("folder", StringComparison.Ordinal));
        }
        finally
        {
            store.Berth("rm", "-f", "detached-one").Ok();
        }
        Assert.Empty(store.Leftovers([id]));
        Assert.Equal(1, store.Berth("inspect", "detached-one").ExitCode);
    }

    [Fact]
    public void ANameInUseIsRefused()
    {
        store.Berth("create", "--name", "taken", "busybox", "true").Ok();
        try
        {
            var second = store.Berth("create", "--name", "taken", "busybox", "true");
            Assert.Equal(125, second.ExitCode);
            Assert.Contains("is already in use", second.Stderr);
            Assert.Single(store.Berth("ps", "-aq").Ok().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally { store.Berth("rm", "taken").Ok(); }
    }

    internal static void WaitFor(Func<bool> condition, int timeoutMs = 10_000)
    {
        var until = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException("condition not met in time");
            Thread.Sleep(50);
        }
    }
}
