namespace Berth.IntegrationTests.Containers;

/// <summary>The remaining run flags, each seen from inside the container or in its cgroup.</summary>
[Collection("images")]
public sealed class RunFlagsTests(EngineStore store) : IClassFixture<EngineStore>
{
    [Fact]
    public void ProcessFlags()
    {
        string envFile = Path.Combine(store.Dir, "env.list");
        File.WriteAllText(envFile, "# a comment\nFROM_FILE=yes\n\n");
        var r = store.Berth("run", "--rm", "--ulimit", "nofile=321:654", "--oom-score-adj", "123", "--sysctl", "net.ipv4.ip_forward=1",
            "--shm-size", "8m", "--env-file", envFile, "--entrypoint", "/bin/sh", "busybox", "-c",
            "ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj; cat /proc/sys/net/ipv4/ip_forward; grep ' /dev/shm ' /proc/mounts | grep -o 'size=[0-9]*k'; echo $FROM_FILE").Ok();
        Assert.Equal("321\n654\n123\n1\nsize=8192k\nyes\n", r.Stdout);
    }

    [Fact]
    public void DevicesAndBlockIoFlags()
    {
        string id = store.Berth("run", "-d", "--device", "/dev/zero:/dev/myzero", "--blkio-weight", "300",
            "--device-read-bps", "/dev/vda:1mb", "--device-write-iops", "/dev/vda:50", "busybox", "sleep", "600").Ok().Stdout.Trim();
        try
        {
            var r = store.Berth("exec", id, "sh", "-c", "head -c 4 /dev/myzero | od -An -tx1 | tr -d ' '").Ok();
            Assert.Equal("00000000\n", r.Stdout);
            string blkio = $"/sys/fs/cgroup/blkio/berth/{id}";
            Assert.Contains("254:0 1048576", File.ReadAllText(Path.Combine(blkio, "blkio.throttle.read_bps_device")));
            Assert.Contains("254:0 50", File.ReadAllText(Path.Combine(blkio, "blkio.throttle.write_iops_device")));
            string devices = File.ReadAllText($"/sys/fs/cgroup/devices/berth/{id}/devices.list");
            Assert.Contains("c 1:5 rwm", devices);
        }
        finally { store.Berth("rm", "-f", id).Ok(); }
    }

    [Fact]
    public void StopSignalAndTimeoutAndLabels()
    {
        // The container traps SIGUSR1 (its stop signal) and exits 42 by itself: stop never needs SIGKILL.
        store.Berth("run", "-d", "--name", "polite", "--stop-signal", "USR1", "--stop-timeout", "30", "-l", "harbor=north",
            "busybox", "sh", "-c", "trap 'exit 42' USR1; while :; do sleep 0.1; done").Ok();
        try
        {
            store.Berth("stop", "polite").Ok();
            Assert.Equal("42", store.Inspect("polite", "{{.State.ExitCode}}"));
            Assert.Equal("north", store.Inspect("polite", "{{.Config.Labels.harbor}}"));
            Assert.Contains("polite", store.Berth("ps", "-a", "--filter", "label=harbor=north", "--format", "{{.Names}}").Ok().Stdout);
        }
        finally { store.Berth("rm", "-f", "polite").Ok(); }
    }
}
