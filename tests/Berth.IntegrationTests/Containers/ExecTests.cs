namespace Berth.IntegrationTests.Containers;

/// <summary>berth exec and top end to end: a new process in a running container, seen from inside and from the host.</summary>
[Collection("images")]
public sealed class ExecTests(EngineStore store) : IClassFixture<EngineStore>
{
    /// <summary>Runs <paramref name="body"/> with a detached container running <paramref name="command"/>, removed afterwards.</summary>
    private void WithContainer(string name, string[] runFlags, string[] command, Action body)
    {
        store.Berth(["run", "-d", "--name", name, .. runFlags, "busybox", .. command]).Ok();
        try { body(); }
        finally { store.Berth("rm", "-f", name); }
    }

    [Fact]
    public void ExecPrintsTheProcessesOutputAndExitsWithItsCode()
    {
        WithContainer("exec-output", [], ["sleep", "600"], () =>
        {
            var r = store.Berth("exec", "exec-output", "sh", "-c", "echo out; echo err >&2; exit 3");
            Assert.Equal(3, r.ExitCode);
            Assert.Equal("out\n", r.Stdout);
            Assert.Equal("err\n", r.Stderr);
            // docker's events of an exec, the exit code with its end.
            string until = (DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1).ToString();
            var events = store.Berth("events", "--since", "0", "--until", until, "--filter", "container=exec-output",
                "--format", "{{.Action}} {{.Actor.Attributes.exitCode}}").Ok().Stdout;
            Assert.Contains("exec_create: sh -c echo out; echo err >&2; exit 3 <no value>\nexec_start: sh -c echo out; echo err >&2; exit 3 <no value>\nexec_die 3\n", events);
            // Flags stop at the container: -l belongs to ls. `container exec` is the same command.
            Assert.Contains("/bin/busybox", store.Berth("container", "exec", "exec-output", "ls", "-l", "/bin/busybox").Ok().Stdout);
        });
    }

    [Fact]
    public void EnvUserAndWorkdirReachTheProcess()
    {
        string envFile = Path.Combine(store.Dir, "exec.env");
        File.WriteAllText(envFile, "# a comment\nFROM_FILE=file value\nOVERRIDDEN=file\n");
        WithContainer("exec-env", ["-u", "2000", "-e", "FROM_RUN=run", "-w", "/etc"], ["sleep", "600"], () =>
        {
            // Without flags: the container's own user, environment and working directory.
            var plain = store.Berth("exec", "exec-env", "sh", "-c", "id -u; pwd; echo \"$FROM_RUN\"").Ok();
            Assert.Equal("2000\n/etc\nrun\n", plain.Stdout);
            var r = store.Berth("exec", "-e", "GREETING=hi there", "--env-file", envFile, "-e", "OVERRIDDEN=flag", "-u", "1000:1001", "-w", "/tmp",
                "exec-env", "sh", "-c", "echo \"$GREETING\"; echo \"$FROM_FILE\"; echo \"$OVERRIDDEN\"; echo \"$FROM_RUN\"; id -u; id -g; pwd").Ok();
            Assert.Equal("hi there\nfile value\nflag\nrun\n1000\n1001\n/tmp\n", r.Stdout);
            // A user looked up in the container's /etc/passwd.
            Assert.Equal("65534\n", store.Berth("exec", "-u", "nobody", "exec-env", "id", "-u").Ok().Stdout);
        });
    }

    [Fact]
    public void PrivilegedGivesTheProcessEveryCapability()
    {
        WithContainer("exec-privileged", [], ["sleep", "600"], () =>
        {
            string Effective(params string[] flags) =>
                store.Berth(["exec", .. flags, "exec-privileged", "sh", "-c", "grep CapEff /proc/self/status"]).Ok().Stdout.Split(':')[1].Trim();
            string plain = Effective(), privileged = Effective("--privileged");
            Assert.NotEqual(plain, privileged);
            // All this host can give: the bounding set berth itself has (this test's, as both run as root here).
            string bounding = File.ReadLines("/proc/self/status").Single(l => l.StartsWith("CapBnd:", StringComparison.Ordinal)).Split(':')[1].Trim();
            Assert.Equal(bounding, privileged);
        });
    }

    [Fact]
    public void ExecIntoAContainerThatIsNotRunningFails()
    {
        store.Berth("create", "--name", "exec-created", "busybox", "sleep", "600").Ok();
        try
        {
            string id = store.IdOf("exec-created");
            var r = store.Berth("exec", "exec-created", "true");
            Assert.Equal(1, r.ExitCode);
            Assert.Contains($"container {id} is not running", r.Stderr);
            store.Berth("start", "exec-created").Ok();
            store.Berth("exec", "exec-created", "true").Ok();
            store.Berth("kill", "exec-created").Ok();
            var stopped = store.Berth("exec", "exec-created", "true");
            Assert.Equal(1, stopped.ExitCode);
            Assert.Contains("is not running", stopped.Stderr);
        }
        finally { store.Berth("rm", "-f", "exec-created"); }
        var missing = store.Berth("exec", "no-such-container", "true");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("No such container: no-such-container", missing.Stderr);
    }

    [Fact]
    public void MissingOrNotExecutableCommandsGiveDockersCodes()
    {
        WithContainer("exec-codes", [], ["sleep", "600"], () =>
        {
            var missing = store.Berth("exec", "exec-codes", "no-such-command");
            Assert.Equal(127, missing.ExitCode);
            Assert.Contains("OCI runtime exec failed: exec failed: unable to start container process: exec: \"no-such-command\": executable file not found in $PATH", missing.Stderr);
            var notExecutable = store.Berth("exec", "exec-codes", "/etc/passwd");
            Assert.Equal(126, notExecutable.ExitCode);
            Assert.Contains("permission denied", notExecutable.Stderr);
            var noUser = store.Berth("exec", "-u", "no-such-user", "exec-codes", "true");
            Assert.Equal(126, noUser.ExitCode);
            Assert.Contains("unable to find user no-such-user", noUser.Stderr);
        });
    }

    [Fact]
    public void StdinReachesTheProcessOnlyWithInteractive()
    {
        WithContainer("exec-stdin", [], ["sleep", "600"], () =>
        {
            Assert.Equal("line one\nline two\n", store.BerthIn("line one\nline two\n", "exec", "-i", "exec-stdin", "cat").Ok().Stdout);
            // Without -i the process's stdin is empty, whatever the caller's is.
            Assert.Equal("", store.BerthIn("not for cat\n", "exec", "exec-stdin", "cat").Ok().Stdout);
        });
    }

    [Fact]
    public void TtyGivesTheProcessAPty()
    {
        WithContainer("exec-tty", [], ["sleep", "600"], () =>
        {
            var r = store.Berth("exec", "-t", "exec-tty", "sh", "-c", "tty; echo \"$TERM\"; exit 4");
            Assert.Equal(4, r.ExitCode);
            // The pty turns "\n" into "\r\n", as docker's does.
            Assert.Matches("^/dev/pts/[0-9]+\r\nxterm\r\n$", r.Stdout);
            Assert.Equal("not a tty\n", store.Berth("exec", "exec-tty", "tty").Stdout);
            var notATerminal = store.BerthIn("", "exec", "-it", "exec-tty", "true");
            Assert.Equal(1, notATerminal.ExitCode);
            Assert.Contains("the input device is not a TTY", notATerminal.Stderr);
        });
    }

    [Fact]
    public void DetachedExecLeavesAProcessThatTopListsAndThatIsReapedWhenItEnds()
    {
        WithContainer("exec-detached", [], ["sleep", "600"], () =>
        {
            var started = DateTime.UtcNow;
            var r = store.Berth("exec", "-d", "exec-detached", "sleep", "987").Ok();
            Assert.Equal("", r.Stdout);
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "exec -d returned only once the process ended");
            var top = store.Berth("top", "exec-detached").Ok().Stdout;
            Assert.Contains("sleep 987", top);
            Assert.Contains("sleep 600", top);

            // One that ends is reaped (by whoever adopted it), not left a zombie.
            store.Berth("exec", "-d", "exec-detached", "sleep", "1").Ok();
            var row = store.Berth("top", "exec-detached", "-o", "pid,args").Ok().Stdout.Split('\n').Single(l => l.EndsWith("sleep 1", StringComparison.Ordinal));
            int pid = int.Parse(row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]);
            RunTests.WaitFor(() => !IsSleep(pid), 15_000);
            Assert.DoesNotContain("sleep 1\n", store.Berth("top", "exec-detached").Ok().Stdout);
        });
    }

    /// <summary>Whether a process (a zombie included) named sleep has this pid.</summary>
    private static bool IsSleep(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/stat").Contains("(sleep)", StringComparison.Ordinal); }
        catch (IOException) { return false; }
    }

    [Fact]
    public void TopListsTheContainersProcessesUnderPsHeader()
    {
        WithContainer("top-list", [], ["sh", "-c", "sleep 601 & sleep 602 & wait"], () =>
        {
            RunTests.WaitFor(() => store.Berth("top", "top-list").Stdout.Contains("sleep 602"));
            var lines = store.Berth("top", "top-list").Ok().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal(3, lines.Length - 1);
            Assert.Contains(lines, l => l.EndsWith("sleep 601", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.EndsWith("sleep 602", StringComparison.Ordinal));
            // Nothing of the host: not this test's own process.
            Assert.DoesNotContain(lines.Skip(1), l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1] == Environment.ProcessId.ToString());

            // ps options after the container are ps's.
            var custom = store.Berth("top", "top-list", "-o", "pid,comm").Ok().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(["PID", "COMMAND"], custom[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal(["sh", "sleep", "sleep"], custom.Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]).Order());
        });
        store.Berth("create", "--name", "top-created", "busybox", "true").Ok();
        try
        {
            var r = store.Berth("top", "top-created");
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("is not running", r.Stderr);
        }
        finally { store.Berth("rm", "-f", "top-created"); }
    }
}
