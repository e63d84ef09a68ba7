using System.Text.Json;
using Berth.IntegrationTests.Harness;

namespace Berth.IntegrationTests;

[Collection("runtime")]
public sealed class LifecycleTests
{
    [Fact]
    public void RunReturnsTheContainersExitCodeAndOutput()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sh", "-c", "echo hello from $$; exit 3");
        var r = s.Run(b);
        Assert.Equal(3, r.ExitCode);
        Assert.Equal("hello from 1\n", r.Stdout);
        Assert.Empty(s.Runtime("list", "-q").Ok().Stdout.Trim());
    }

    [Fact]
    public async Task KilledBySignalGives128PlusSignal()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sleep", "1000");
        b.Write();
        string id = s.NewId();
        // The init of a PID namespace ignores signals it has no handler for, SIGKILL from outside excepted.
        var killer = Task.Run(() =>
        {
            WaitFor(() => s.Runtime("state", id).ExitCode == 0 && s.Status(id) == "running");
            Berth.Linux.Libc.kill(s.Pid(id), Berth.Linux.Libc.SIGKILL);
        });
        var run = Task.Run(() => s.Runtime("run", "--bundle", b.Dir, id));
        await killer;
        Assert.Equal(137, (await run).ExitCode);
    }

    [Fact]
    public void RunForwardsItsSignalsToTheContainer()
    {
        using var s = new RuntimeSession();
        // As PID 1 the shell only sees signals it traps: SIGTERM reaches it only if run forwards it.
        using var b = new Bundle("sh", "-c", "trap 'exit 42' TERM; while :; do sleep 0.1; done");
        b.Write();
        string id = s.NewId();
        var psi = new System.Diagnostics.ProcessStartInfo(BerthBinary.PathToBinary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "runtime", "--root", s.Root, "run", "--bundle", b.Dir, id }) psi.ArgumentList.Add(a);
        using var run = System.Diagnostics.Process.Start(psi)!;
        WaitFor(() => s.Runtime("state", id).ExitCode == 0 && s.Status(id) == "running");
        Thread.Sleep(200);   // the shell has set its trap
        Berth.Linux.Libc.kill(run.Id, Berth.Linux.Libc.SIGTERM);
        Assert.True(run.WaitForExit(10_000), "run did not end after its container's process trapped SIGTERM");
        Assert.Equal(42, run.ExitCode);
        Assert.Empty(s.Runtime("list", "-q").Ok().Stdout.Trim());
    }

    [Fact]
    public void CreateStartKillDeleteWalkTheSpecStates()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sleep", "1000");
        string pidFile = Path.Combine(s.Root, "pid");
        b.Write();
        string id = s.NewId();
        s.Runtime("create", "--bundle", b.Dir, "--pid-file", pidFile, id).Ok();
        Assert.Equal("created", s.Status(id));
        int pid = s.Pid(id);
        Assert.Equal(pid.ToString(), File.ReadAllText(pidFile));
        // While created, the init waits and the user's program has not run yet.
        Assert.Contains("berth", File.ReadAllText($"/proc/{pid}/cmdline"));

        s.Runtime("start", id).Ok();
        Assert.Equal("running", s.Status(id));
        Assert.StartsWith("sleep", File.ReadAllText($"/proc/{pid}/cmdline"));
        var start2 = s.Runtime("start", id);
        Assert.Equal(1, start2.ExitCode);
        Assert.Contains("running", start2.Stderr);

        var refused = s.Runtime("delete", id);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("not stopped", refused.Stderr);

        s.Runtime("kill", id, "KILL").Ok();
        WaitFor(() => s.Status(id) == "stopped");
        var state = JsonDocument.Parse(s.Runtime("state", id).Ok().Stdout).RootElement;
        Assert.Equal(0, state.GetProperty("pid").GetInt32());
        Assert.Equal(b.Dir, state.GetProperty("bundle").GetString());

        s.Runtime("delete", id).Ok();
        var gone = s.Runtime("state", id);
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains("does not exist", gone.Stderr);
        Assert.False(Directory.Exists(Path.Combine(s.Root, id)));
    }

    [Fact]
    public void DeleteForceKillsARunningContainer()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sleep", "1000");
        string id = s.Create(b);
        s.Runtime("start", id).Ok();
        int pid = s.Pid(id);
        s.Runtime("delete", "--force", id).Ok();
        WaitFor(() => !File.Exists($"/proc/{pid}/stat") || File.ReadAllText($"/proc/{pid}/stat").Contains(") Z"));
        Assert.Empty(s.Runtime("list", "-q").Ok().Stdout.Trim());
    }

    [Fact]
    public void DeleteOfACreatedContainerNeedsNoForce()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("true");
        string id = s.Create(b);
        s.Runtime("delete", id).Ok();
        Assert.Empty(s.Runtime("list", "-q").Ok().Stdout.Trim());
    }

    [Fact]
    public void ListShowsContainersAsTableQuietAndJson()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sleep", "1000");
        string id = s.Create(b);
        Assert.Equal(id, s.Runtime("list", "-q").Ok().Stdout.Trim());
        string table = s.Runtime("list").Ok().Stdout;
        Assert.StartsWith("ID", table);
        Assert.Contains(id, table);
        Assert.Contains("created", table);
        var json = JsonDocument.Parse(s.Runtime("list", "--format", "json").Ok().Stdout).RootElement;
        Assert.Equal(id, json[0].GetProperty("id").GetString());
    }

    [Fact]
    public void KillAcceptsNamesAndNumbersAndRefusesBadSignals()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sleep", "1000");
        string id = s.Create(b);
        s.Runtime("start", id).Ok();
        var bad = s.Runtime("kill", id, "SIGNOPE");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("invalid signal", bad.Stderr);
        s.Runtime("kill", id, "9").Ok();
        WaitFor(() => s.Status(id) == "stopped");
        var again = s.Runtime("kill", id, "TERM");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("not running", again.Stderr);
    }

    [Fact]
    public void DuplicateAndInvalidIdsAreRefusedWithoutLosingTheFirst()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sleep", "1000");
        string id = s.Create(b);
        var dup = s.Runtime("create", "--bundle", b.Dir, id);
        Assert.Equal(1, dup.ExitCode);
        Assert.Contains("already exists", dup.Stderr);
        Assert.Equal("created", s.Status(id));
        var bad = s.Runtime("create", "--bundle", b.Dir, "../escape");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("invalid container id", bad.Stderr);
    }

    [Fact]
    public void MissingBundleAndMissingExecutableAreClearErrorsThatLeaveNothing()
    {
        using var s = new RuntimeSession();
        var nob = s.Runtime("create", "--bundle", "/nonexistent-bundle", s.NewId());
        Assert.Equal(1, nob.ExitCode);
        Assert.Contains("config.json", nob.Stderr);

        using var b = new Bundle("/no/such/program");
        b.Write();
        string id = s.NewId();
        var r = s.Runtime("create", "--bundle", b.Dir, id);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("executable file not found", r.Stderr);
        Assert.Empty(s.Runtime("list", "-q").Ok().Stdout.Trim());
        Assert.False(Directory.Exists($"/sys/fs/cgroup/memory/berth/{id}"));
    }

    [Fact]
    public void TheBinaryWorksAsBerthRuntimeThroughASymlink()
    {
        string dir = Directory.CreateTempSubdirectory("berth-test-link-").FullName;
        try
        {
            string link = Path.Combine(dir, "berth-runtime");
            File.CreateSymbolicLink(link, BerthBinary.PathToBinary);
            using var s = new RuntimeSession();
            var r = BerthBinary.Run(["--root", s.Root, "list", "-q"], exe: link);
            Assert.Equal(0, r.ExitCode);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void TheInitStageRunsFromTheInitBinary()
    {
        string dir = Path.GetDirectoryName(BerthBinary.PathToBinary)!;
        string small = Path.Combine(dir, "berth-runtime"), init = Path.Combine(dir, "berth-init");
        Assert.True(File.Exists(small) && new FileInfo(small).LinkTarget is null, "scripts/build.sh makes out/berth-runtime, a binary of its own");
        Assert.True(File.Exists(init) && new FileInfo(init).LinkTarget is null, "scripts/build.sh makes out/berth-init, a binary of its own");
        using var s = new RuntimeSession();
        using var b = new Bundle("true");
        string id = s.Create(b);
        // Until start, the container's PID 1 is the init stage, waiting on the exec fifo.
        Assert.Equal(init, File.ResolveLinkTarget($"/proc/{s.Pid(id)}/exe", returnFinalTarget: false)!.FullName);
        // Its GC heap limit (the binary's runtime configuration) keeps the GC's address-space
        // reservation near 1.3 GB; without it the GC reserves about 50 GB at start-up.
        long largest = File.ReadLines($"/proc/{s.Pid(id)}/maps").Select(l => l[..l.IndexOf(' ')].Split('-'))
            .Max(r => Convert.ToInt64(r[1], 16) - Convert.ToInt64(r[0], 16));
        Assert.True(largest < 4L << 30, $"the init stage maps {largest >> 20} MB in one piece");
        s.Runtime("delete", "--force", id).Ok();

        // The small binary is a complete OCI runtime on its own.
        var run = BerthBinary.Run(["--root", s.Root, "run", "--bundle", b.Dir, s.NewId()], exe: small);
        Assert.Equal(0, run.ExitCode);
    }

    [Fact]
    public void BothCommandLineParsersAgree()
    {
        // Plain forms take the hand-written fast path; the others System.CommandLine: same results.
        using var s = new RuntimeSession();
        using var b = new Bundle("sleep", "100");
        b.Write();
        string viaEquals = s.NewId();
        s.Runtime("create", $"--bundle={b.Dir}", viaEquals).Ok();
        Assert.Equal("created", s.Status(viaEquals));
        s.Runtime("delete", viaEquals).Ok();

        var unknown = s.Runtime("create", "--bundle", b.Dir, "--no-such-flag", s.NewId());
        Assert.Equal(1, unknown.ExitCode);
        Assert.StartsWith("berth runtime: Unrecognized command or argument", unknown.Stderr);
        var noId = s.Runtime("start");
        Assert.Equal(1, noId.ExitCode);
        var twoIds = s.Runtime("delete", "a", "b");
        Assert.Equal(1, twoIds.ExitCode);
        Assert.Contains("b", twoIds.Stderr);

        string id = s.NewId();
        s.Runtime("run", "--detach", "--bundle", b.Dir, id).Ok();
        Assert.Equal("running", s.Status(id));
        s.Runtime("kill", id, "KILL").Ok();
        WaitFor(() => s.Status(id) == "stopped");
        var missing = s.Runtime("delete", "no-such-container");
        Assert.Equal(1, missing.ExitCode);
        Assert.StartsWith("berth runtime: ", missing.Stderr);
        s.Runtime("delete", id).Ok();
    }

    [Fact]
    public void ACreateKilledMidwayLeavesAStateThatDeleteCleansUp()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sleep", "1000");
        string marker = Path.Combine(s.Root, "hook-started");
        b.Spec.Hooks = new Berth.Oci.Hooks
        {
            Prestart = [new Berth.Oci.Hook { Path = "/bin/sh", Args = ["sh", "-c", $"touch {marker}; sleep 2"] }],
        };
        b.Write();
        string id = s.NewId();
        var psi = new System.Diagnostics.ProcessStartInfo(BerthBinary.PathToBinary) { UseShellExecute = false, RedirectStandardError = true };
        foreach (string a in (string[])["runtime", "--root", s.Root, "create", "--bundle", b.Dir, id]) psi.ArgumentList.Add(a);
        using (var create = System.Diagnostics.Process.Start(psi)!)
        {
            WaitFor(() => File.Exists(marker));
            create.Kill();
            create.WaitForExit();
        }
        // The init notices that its runtime is gone and exits; the state folder says what is left.
        WaitFor(() => s.Status(id) == "stopped");
        s.Runtime("delete", id).Ok();
        Assert.Empty(s.Runtime("list", "-q").Ok().Stdout.Trim());
        Assert.False(Directory.Exists($"/sys/fs/cgroup/pids/berth/{id}"));
    }

    internal static void WaitFor(Func<bool> condition, int timeoutMs = 10_000)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.ElapsedMilliseconds > timeoutMs) throw new TimeoutException("condition not met in time");
            Thread.Sleep(10);
        }
    }
}
