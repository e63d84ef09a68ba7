using Berth.Oci;
using Berth.Runtime.Mounts;
using static Berth.Linux.Libc;

namespace Berth.UnitTests.Mounts;

public sealed class MountOptionsTests
{
    private static MountOptions Parse(params string[] options) => MountOptions.Parse(options, "config.json: mounts[0].options");

    public static TheoryData<string, ulong, ulong> FlagOptions => new()
    {
        // option, MS_* set, MS_* cleared
        { "ro", MS_RDONLY, 0 },
        { "rw", 0, MS_RDONLY },
        { "nosuid", MS_NOSUID, 0 },
        { "suid", 0, MS_NOSUID },
        { "nodev", MS_NODEV, 0 },
        { "dev", 0, MS_NODEV },
        { "noexec", MS_NOEXEC, 0 },
        { "exec", 0, MS_NOEXEC },
        { "sync", MS_SYNCHRONOUS, 0 },
        { "async", 0, MS_SYNCHRONOUS },
        { "dirsync", MS_DIRSYNC, 0 },
        { "remount", MS_REMOUNT, 0 },
        { "mand", MS_MANDLOCK, 0 },
        { "nomand", 0, MS_MANDLOCK },
        { "noatime", MS_NOATIME, 0 },
        { "atime", 0, MS_NOATIME },
        { "nodiratime", MS_NODIRATIME, 0 },
        { "diratime", 0, MS_NODIRATIME },
        { "relatime", MS_RELATIME, 0 },
        { "norelatime", 0, MS_RELATIME },
        { "strictatime", MS_STRICTATIME, 0 },
        { "nostrictatime", 0, MS_STRICTATIME },
        { "bind", MS_BIND, 0 },
        { "rbind", MS_BIND | MS_REC, 0 },
        { "lazytime", MS_LAZYTIME, 0 },
        { "nolazytime", 0, MS_LAZYTIME },
        { "silent", MS_SILENT, 0 },
        { "loud", 0, MS_SILENT },
        { "iversion", MS_I_VERSION, 0 },
        { "noiversion", 0, MS_I_VERSION },
        { "nosymfollow", MS_NOSYMFOLLOW, 0 },
        { "symfollow", 0, MS_NOSYMFOLLOW },
        { "defaults", 0, 0 },
    };

    [Theory]
    [MemberData(nameof(FlagOptions))]
    public void FlagOptionsSetOrClearMountFlags(string option, ulong set, ulong cleared)
    {
        MountOptions o = Parse(option);
        Assert.Equal(set, o.MountFlags);
        Assert.Equal(cleared, o.ClearedFlags);
        Assert.Equal("", o.Data);
        Assert.Empty(o.Propagation);
        Assert.False(o.HasRecursiveAttributes);
    }

    [Fact]
    public void LaterOptionsWin()
    {
        MountOptions rw = Parse("ro", "rw");
        Assert.False(rw.ReadOnly);
        Assert.Equal(MS_RDONLY, rw.ClearedFlags);

        MountOptions ro = Parse("rw", "ro");
        Assert.True(ro.ReadOnly);
        Assert.Equal(0UL, ro.ClearedFlags);
    }

    [Fact]
    public void FlagsAccumulate()
    {
        MountOptions o = Parse("nosuid", "noexec", "nodev", "ro");
        Assert.Equal(MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, o.MountFlags);
    }

    [Fact]
    public void BindAndRecursiveBind()
    {
        Assert.True(Parse("bind").IsBind);
        Assert.False(Parse("bind").IsRecursiveBind);
        Assert.True(Parse("rbind").IsBind);
        Assert.True(Parse("rbind").IsRecursiveBind);
        Assert.False(Parse("ro").IsBind);
    }

    public static TheoryData<string, ulong> PropagationOptions => new()
    {
        { "shared", MS_SHARED },
        { "rshared", MS_SHARED | MS_REC },
        { "slave", MS_SLAVE },
        { "rslave", MS_SLAVE | MS_REC },
        { "private", MS_PRIVATE },
        { "rprivate", MS_PRIVATE | MS_REC },
        { "unbindable", MS_UNBINDABLE },
        { "runbindable", MS_UNBINDABLE | MS_REC },
    };

    [Theory]
    [MemberData(nameof(PropagationOptions))]
    public void PropagationOptionsAreSeparateCalls(string option, ulong flags)
    {
        MountOptions o = Parse("bind", option);
        Assert.Equal([flags], o.Propagation);
        Assert.Equal(MS_BIND, o.MountFlags);
    }

    [Fact]
    public void PropagationKeepsItsOrder()
        => Assert.Equal([MS_PRIVATE | MS_REC, MS_SHARED], Parse("rprivate", "shared").Propagation);

    public static TheoryData<string, ulong, ulong> RecursiveOptions => new()
    {
        // option, attr_set, attr_clr
        { "rro", MOUNT_ATTR_RDONLY, 0 },
        { "rrw", 0, MOUNT_ATTR_RDONLY },
        { "rnosuid", MOUNT_ATTR_NOSUID, 0 },
        { "rsuid", 0, MOUNT_ATTR_NOSUID },
        { "rnodev", MOUNT_ATTR_NODEV, 0 },
        { "rdev", 0, MOUNT_ATTR_NODEV },
        { "rnoexec", MOUNT_ATTR_NOEXEC, 0 },
        { "rexec", 0, MOUNT_ATTR_NOEXEC },
        { "rnodiratime", MOUNT_ATTR_NODIRATIME, 0 },
        { "rdiratime", 0, MOUNT_ATTR_NODIRATIME },
        // Access-time modes are a field: setting one also clears MOUNT_ATTR__ATIME (mount_setattr(2)).
        { "rrelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
        { "rnorelatime", 0, MOUNT_ATTR_RELATIME },
        { "rnoatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME },
        { "ratime", 0, MOUNT_ATTR_NOATIME },
        { "rstrictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME },
        { "rnostrictatime", 0, MOUNT_ATTR_STRICTATIME },
        { "rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0 },
        { "rsymfollow", 0, MOUNT_ATTR_NOSYMFOLLOW },
    };

    [Theory]
    [MemberData(nameof(RecursiveOptions))]
    public void RecursiveOptionsBecomeMountAttributes(string option, ulong set, ulong clear)
    {
        MountOptions o = Parse("rbind", option);
        Assert.Equal(set, o.AttrSet);
        Assert.Equal(clear, o.AttrClr);
        Assert.Equal(MS_BIND | MS_REC, o.MountFlags);
    }

    [Fact]
    public void RecursiveReadOnlyThenWritableCancels()
    {
        MountOptions o = Parse("rro", "rrw");
        Assert.Equal(0UL, o.AttrSet);
        Assert.Equal(MOUNT_ATTR_RDONLY, o.AttrClr);
        Assert.True(o.HasRecursiveAttributes);
    }

    [Fact]
    public void UnknownOptionsAreFilesystemData()
    {
        MountOptions o = Parse("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5");
        Assert.Equal(MS_NOSUID | MS_NOEXEC, o.MountFlags);
        Assert.Equal("newinstance,ptmxmode=0666,mode=0620,gid=5", o.Data);
    }

    [Fact]
    public void RuncDefaultTmpfsOptions()
    {
        MountOptions o = Parse("nosuid", "strictatime", "mode=755", "size=65536k");
        Assert.Equal(MS_NOSUID | MS_STRICTATIME, o.MountFlags);
        Assert.Equal("mode=755,size=65536k", o.Data);
        Assert.False(o.ReadOnly);
    }

    [Fact]
    public void NoOptionsIsAnEmptyResult()
    {
        foreach (MountOptions o in new[] { MountOptions.Parse((IReadOnlyList<string>?)null, "x"), Parse() })
        {
            Assert.Equal(0UL, o.MountFlags);
            Assert.Equal(0UL, o.ClearedFlags);
            Assert.Empty(o.Propagation);
            Assert.Equal("", o.Data);
        }
    }

    [Theory]
    [InlineData("tmpcopyup", "tmpcopyup (copying the directory's content into the tmpfs) is not supported")]
    [InlineData("idmap", "idmapped mounts are not supported")]
    [InlineData("ridmap", "idmapped mounts are not supported")]
    public void UnsupportedExtensionsAreErrorsNamingTheOption(string option, string why)
    {
        var e = Assert.Throws<SpecException>(() => Parse("rbind", option));
        Assert.Equal($"config.json: mounts[0].options[1]: {why}", e.Message);
    }

    [Fact]
    public void ParseOfAMountNamesItsOptions()
    {
        var mount = new Mount { Destination = "/x", Type = "tmpfs", Options = ["tmpcopyup"] };
        var e = Assert.Throws<SpecException>(() => MountOptions.Parse(mount, "config.json: mounts[4]"));
        Assert.StartsWith("config.json: mounts[4].options[0]: ", e.Message);
    }

    [Fact]
    public void KnownCoversTheSpecExampleExceptWhatBerthRefuses()
    {
        // features.md's example mountOptions (runc's list).
        string[] spec =
        [
            "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "iversion", "lazytime",
            "loud", "mand", "noatime", "nodev", "nodiratime", "noexec", "noiversion", "nolazytime", "nomand",
            "norelatime", "nostrictatime", "nosuid", "nosymfollow", "private", "ratime", "rbind", "rdev",
            "rdiratime", "relatime", "remount", "rexec", "rnoatime", "rnodev", "rnodiratime", "rnoexec",
            "rnorelatime", "rnostrictatime", "rnosuid", "rnosymfollow", "ro", "rprivate", "rrelatime", "rro",
            "rrw", "rshared", "rslave", "rstrictatime", "rsuid", "rsymfollow", "runbindable", "rw", "shared",
            "silent", "slave", "strictatime", "suid", "symfollow", "sync", "unbindable",
        ];
        Assert.Equal(spec, MountOptions.Known);
        Assert.DoesNotContain("tmpcopyup", MountOptions.Known);
        Assert.DoesNotContain("idmap", MountOptions.Known);
    }

    [Fact]
    public void ConstantsMatchTheKernelHeaders()
    {
        Assert.Equal(0x1000UL, MS_BIND);
        Assert.Equal(0x4000UL, MS_REC);
        Assert.Equal(0x40000UL, MS_PRIVATE);
        Assert.Equal(0x80000UL, MS_SLAVE);
        Assert.Equal(0x100000UL, MS_SHARED);
        Assert.Equal(0x200000UL, MS_RELATIME);
        Assert.Equal(0x800000UL, MS_I_VERSION);
        Assert.Equal(0x1000000UL, MS_STRICTATIME);
        Assert.Equal(0x2000000UL, MS_LAZYTIME);
        Assert.Equal(MOUNT_ATTR_NOATIME | MOUNT_ATTR_STRICTATIME | 0x40UL, MOUNT_ATTR__ATIME);
        Assert.Equal(0x100000UL, MOUNT_ATTR_IDMAP);
    }
}
