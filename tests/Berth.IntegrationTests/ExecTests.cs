using System.Text.Json;
using Berth.IntegrationTests.Harness;

namespace Berth.IntegrationTests;

[Collection("runtime")]
public sealed class ExecTests
{
    private static string Ns(int pid, string ns) => new FileInfo($"/proc/{pid}/ns/{ns}").LinkTarget!;

    [Fact]
    public void ExecJoinsEveryNamespaceAndTheCgroupOfTheContainer()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sleep", "1000");
        b.Spec.Hostname = "exectest";
        b.Spec.Root!.Readonly = false;
        File.WriteAllText(Path.Combine(b.Rootfs, "marker"), "inside the rootfs");
        string id = s.Create(b);
        s.Runtime("start", id).Ok();
        int pid = s.Pid(id);
        var r = s.Runtime("exec", id, "sh", "-c", "hostname; cat /marker; echo; for n in pid mnt net uts ipc cgroup; do readlink /proc/self/ns/$n; done; cat /proc/self/cgroup | grep memory; echo $$").Ok();
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("exectest", lines[0]);
        Assert.Equal("inside the rootfs", lines[1]);
        string[] names = ["pid", "mnt", "net", "uts", "ipc", "cgroup"];
        for (int i = 0; i < names.Length; i++) Assert.Equal(Ns(pid, names[i]), lines[2 + i]);
        Assert.EndsWith(":memory:/", lines[8]);
        Assert.NotEqual("1", lines[9]);
    }

    [Fact]
    public void ExecReturnsTheExitCodeAndTakesUserCwdEnvAndCaps()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sleep", "1000");
        string id = s.Create(b);
        s.Runtime("start", id).Ok();
        Assert.Equal(7, s.Runtime("exec", id, "sh", "-c", "exit 7").ExitCode);
        var r = s.Runtime("exec", "--user", "1000:1000", "--cwd", "/tmp", "-e", "FOO=bar", "--cap", "CAP_SYS_ADMIN", id,
            "sh", "-c", "id -u; pwd; echo $FOO; grep CapBnd /proc/self/status").Ok();
        var lines = r.Stdout.Split('\n');
        Assert.Equal("1000", lines[0]);
        Assert.Equal("/tmp", lines[1]);
        Assert.Equal("bar", lines[2]);
        Assert.True((Convert.ToUInt64(lines[3].Split('\t')[1], 16) & (1UL << 21)) != 0, "CAP_SYS_ADMIN in the bounding set");
    }

    [Fact]
    public void ExecWithProcessJsonAndDetach()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sleep", "1000");
        b.Spec.Root!.Readonly = false;
        string id = s.Create(b);
        s.Runtime("start", id).Ok();
        var proc = b.Spec.Process!;
        proc.Args = ["sh", "-c", "echo from-process-json > /out"];
        string file = Path.Combine(b.Dir, "process.json");
        File.WriteAllBytes(file, Berth.Oci.OciJson.Serialize(proc, Berth.Oci.OciJsonContext.Default.Process));
        string pidFile = Path.Combine(b.Dir, "exec.pid");
        s.Runtime("exec", "--detach", "--pid-file", pidFile, "-p", file, id).Ok();
        Assert.True(int.Parse(File.ReadAllText(pidFile)) > 0);
        LifecycleTests.WaitFor(() => File.Exists(Path.Combine(b.Rootfs, "out")));
        LifecycleTests.WaitFor(() => File.ReadAllText(Path.Combine(b.Rootfs, "out")) == "from-process-json\n");
    }

    [Fact]
    public void ExecIntoAUserNamespacedContainer()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sleep", "1000");
        b.Spec.Linux!.Namespaces!.Add(new Berth.Oci.LinuxNamespace { Type = "user" });
        b.Spec.Linux.UidMappings = [new Berth.Oci.LinuxIdMapping { ContainerId = 0, HostId = 300000, Size = 65536 }];
        b.Spec.Linux.GidMappings = [new Berth.Oci.LinuxIdMapping { ContainerId = 0, HostId = 300000, Size = 65536 }];
        string id = s.Create(b);
        s.Runtime("start", id).Ok();
        int pid = s.Pid(id);
        var r = s.Runtime("exec", id, "sh", "-c", "readlink /proc/self/ns/user; id -u").Ok();
        var lines = r.Stdout.Split('\n');
        Assert.Equal(Ns(pid, "user"), lines[0]);
        Assert.Equal("0", lines[1]);
    }

    [Fact]
    public void ExecRefusesAStoppedContainerAndAMissingProgram()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sleep", "1000");
        string id = s.Create(b);
        s.Runtime("start", id).Ok();
        var missing = s.Runtime("exec", id, "/no/such/thing");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("no/such/thing", missing.Stderr);
        s.Runtime("kill", id, "KILL").Ok();
        LifecycleTests.WaitFor(() => s.Status(id) == "stopped");
        var stopped = s.Runtime("exec", id, "true");
        Assert.Equal(1, stopped.ExitCode);
        Assert.Contains("stopped", stopped.Stderr);
    }

    [Fact]
    public void PsListsTheContainersProcesses()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sleep", "1000");
        string id = s.Create(b);
        s.Runtime("start", id).Ok();
        int pid = s.Pid(id);
        var pids = JsonDocument.Parse(s.Runtime("ps", "--format", "json", id).Ok().Stdout).RootElement.EnumerateArray().Select(e => e.GetInt32()).ToList();
        Assert.Equal([pid], pids);
        string table = s.Runtime("ps", id).Ok().Stdout;
        Assert.Contains("PID", table.Split('\n')[0]);
        Assert.Contains("sleep 1000", table);
    }
}
