using Berth.IntegrationTests.Harness;
using Berth.Oci;

namespace Berth.IntegrationTests;

[Collection("runtime")]
public sealed class RootfsTests
{
    [Fact]
    public void ReadonlyRootRefusesWritesButTmpfsMountsWork()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sh", "-c", "touch /newfile 2>&1; echo rc=$?; touch /scratch/x && echo tmpfs-ok; grep ' / ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1");
        b.Spec.Mounts!.Add(new Mount { Destination = "/scratch", Type = "tmpfs", Source = "tmpfs", Options = ["nosuid", "size=1m"] });
        var o = s.Run(b).Ok().Stdout;
        Assert.Contains("Read-only file system", o);
        Assert.Contains("rc=1", o);
        Assert.Contains("tmpfs-ok", o);
        Assert.EndsWith("ro\n", o);
        Assert.False(File.Exists(Path.Combine(b.Rootfs, "newfile")));
    }

    [Fact]
    public void BindMountsFollowTheirOptions()
    {
        using var s = new RuntimeSession();
        string host = Directory.CreateTempSubdirectory("berth-test-bind-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(host, "hello"), "from host");
            using var b = new Bundle("sh", "-c", "cat /data/hello; echo changed > /rw/new; echo x > /data/new 2>/dev/null || echo ro-refused");
            b.Spec.Mounts!.Add(new Mount { Destination = "/data", Type = "bind", Source = host, Options = ["rbind", "ro"] });
            b.Spec.Mounts.Add(new Mount { Destination = "/rw", Type = "bind", Source = host, Options = ["rbind", "rw"] });
            var o = s.Run(b).Ok().Stdout;
            Assert.Equal("from hostro-refused\n", o);
            Assert.Equal("changed\n", File.ReadAllText(Path.Combine(host, "new")));
        }
        finally { Directory.Delete(host, recursive: true); }
    }

    [Fact]
    public void AMountThroughASymlinkInTheRootfsStaysInsideIt()
    {
        using var s = new RuntimeSession();
        string outside = Directory.CreateTempSubdirectory("berth-test-outside-").FullName;
        try
        {
            using var b = new Bundle("sh", "-c", "ls /escape/mnt >/dev/null && echo inside");
            // A hostile image: /escape -> the host folder, by absolute path.
            File.CreateSymbolicLink(Path.Combine(b.Rootfs, "escape"), outside);
            b.Spec.Mounts!.Add(new Mount { Destination = "/escape/mnt", Type = "tmpfs", Source = "tmpfs" });
            b.Spec.Root!.Readonly = false;
            s.Run(b).Ok();
            Assert.False(Directory.Exists(Path.Combine(outside, "mnt")), "the mount point was created outside the rootfs");
            Assert.True(Directory.Exists(Path.Combine(b.Rootfs, outside.TrimStart('/'), "mnt")));
        }
        finally { Directory.Delete(outside, recursive: true); }
    }

    [Fact]
    public void DevHasTheDefaultDevicesSymlinksAndConfiguredDevices()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sh", "-c", "for d in null zero full random urandom tty mydev; do stat -c '%n %F %t:%T %a' /dev/$d; done; readlink /dev/ptmx; readlink /dev/fd; readlink /dev/stdout; echo x > /dev/null && echo null-ok");
        b.Spec.Linux!.Devices = [new LinuxDevice { Path = "/dev/mydev", Type = "c", Major = 1, Minor = 3, FileMode = 0b110_000_000 /* 0600 */ }];
        var o = s.Run(b).Ok().Stdout;
        Assert.Contains("/dev/null character special file 1:3 666", o);
        Assert.Contains("/dev/urandom character special file 1:9 666", o);
        Assert.Contains("/dev/tty character special file 5:0 666", o);
        Assert.Contains("/dev/mydev character special file 1:3 600", o);
        Assert.Contains("pts/ptmx\n/proc/self/fd\n/proc/self/fd/1\n", o);
        Assert.Contains("null-ok", o);
    }

    [Fact]
    public void MaskedAndReadonlyPathsHideAndProtect()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sh", "-c", "wc -c < /proc/meminfo; ls /proc/driver | wc -l; echo 1 > /proc/sys/kernel/ns_last_pid 2>&1 || echo sys-ro");
        b.Spec.Linux!.MaskedPaths = ["/proc/meminfo", "/proc/driver", "/does/not/exist"];
        b.Spec.Linux.ReadonlyPaths = ["/proc/sys"];
        var lines = s.Run(b).Ok().Stdout.Split('\n');
        Assert.Equal("0", lines[0].Trim());
        Assert.Equal("0", lines[1].Trim());
        Assert.Contains("sys-ro", lines[^2]);
    }

    [Fact]
    public void CgroupMountShowsTheContainersOwnCgroupReadOnly()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sh", "-c", "cat /sys/fs/cgroup/pids/pids.max; echo 5 > /sys/fs/cgroup/pids/pids.max 2>/dev/null || echo ro");
        b.Spec.Linux!.Resources = new LinuxResources { Pids = new LinuxPids { Limit = 77 } };
        Assert.Equal("77\nro\n", s.Run(b).Ok().Stdout);
    }

    [Fact]
    public void NoPivotUsesChroot()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sh", "-c", "ls / | wc -l");
        b.Write();
        var r = s.Runtime("run", "--no-pivot", "--bundle", b.Dir, s.NewId()).Ok();
        Assert.Equal(Directory.GetFileSystemEntries(b.Rootfs).Length.ToString(), r.Stdout.Trim());
    }
}
