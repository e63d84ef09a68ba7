using System.Formats.Tar;
using Berth.Images.Layers;
using Berth.Images.Snapshots;
using Berth.Linux;

namespace Berth.UnitTests.Images;

/// <summary>CopyMerge shows the same tree overlayfs shows for the same layer directories.</summary>
public sealed class CopyMergeTests : IDisposable
{
    private readonly LayerSandbox _box = new();
    private static readonly DateTimeOffset T1 = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero), T2 = T1.AddDays(1), T3 = T1.AddDays(2);

    public void Dispose() => _box.Dispose();

    private string Layer(string name, TarBuilder tar, Func<string, string?>? lower = null)
    {
        string dir = _box.Dir(name);
        LayerUnpacker.Unpack(tar.Build(), dir, new UnpackOptions { AllowDeviceNodes = true, LowerLookup = lower });
        return dir;
    }

    /// <summary>A naive lookup through overlay-form layers, top first: stops at a whiteout, like overlayfs.</summary>
    private static Func<string, string?> Lookup(params string[] layersTopFirst) => rel =>
    {
        foreach (string layer in layersTopFirst)
        {
            string p = Path.Combine(layer, rel);
            if (!Tree.Exists(p)) continue;
            var st = Tree.Stat(p);
            return st.Type == Libc.S_IFCHR && st.stx_rdev_major == 0 && st.stx_rdev_minor == 0 ? null : p;
        }
        return null;
    };

    private (string L1, string L2, string L3) ThreeLayers()
    {
        string l1 = Layer("l1", new TarBuilder()
            .Dir("etc/", 0x1ED, mtime: T1)
            .File("etc/passwd", "root", mtime: T1)
            .File("etc/motd", "hello", mtime: T1)
            .File("etc/shadow", "secret", 0x1A0, gid: 42, mtime: T1)
            .Dir("opq/", mtime: T1).File("opq/a", "a", mtime: T1).Dir("opq/sub/", mtime: T1).File("opq/sub/b", "b", mtime: T1)
            .Dir("d2/", mtime: T1).File("d2/x", "x", mtime: T1)
            .File("becomes-dir", "f", mtime: T1)
            .Dir("becomes-file/", mtime: T1).File("becomes-file/y", "y", mtime: T1)
            .Dir("bin/", mtime: T1)
            .File("bin/busybox", "bb", 0x1ED, mtime: T1, xattrs: new Dictionary<string, string> { ["user.l"] = "1" })
            .HardLink("bin/ls", "bin/busybox").HardLink("bin/cat", "bin/busybox")
            .Symlink("bin/sh", "busybox", mtime: T1)
            .Device("dev/null", TarEntryType.CharacterDevice, 1, 3)
            .Device("fifo", TarEntryType.Fifo, 0, 0)
            .Dir("mode/", 0x1C0, uid: 1, gid: 1, mtime: T1));
        string l2 = Layer("l2", new TarBuilder()
            .Dir("etc/", 0x1ED, mtime: T2)
            .File("etc/.wh.motd", "")
            .File("etc/passwd", "root\nuser", mtime: T2)
            .Dir("opq/", mtime: T2).File("opq/.wh..wh..opq", "").File("opq/c", "c", mtime: T2)
            .Dir("bin/", mtime: T2).File("bin/ls", "real ls", 0x1ED, mtime: T2)   // breaks the lower hardlink for this name only
            .Dir("mode/", 0x1FD, uid: 2, gid: 3, mtime: T2, xattrs: new Dictionary<string, string> { ["user.m"] = "2" }));
        string l3 = Layer("l3", new TarBuilder()
            .File(".wh.d2", "")
            .Dir("becomes-dir/", mtime: T3).File("becomes-dir/z", "z", mtime: T3)
            .File("becomes-file", "now a file", mtime: T3)
            .Dir("etc/", 0x1ED, mtime: T3)
            .HardLink("etc/shadow-", "etc/shadow")   // across layers: etc/shadow copied up from l1
            .Symlink("bin2", "bin", mtime: T3), Lookup(l2, _box.Dir("l1")));
        return (l1, l2, l3);
    }

    [Fact]
    public void MergeMatchesOverlayfs()
    {
        var (l1, l2, l3) = ThreeLayers();
        string merged = _box.Child("copy");
        CopyMerge.Merge([l1, l2, l3], merged);

        string mnt = _box.Dir("mnt");
        Libc.Mount("overlay", mnt, "overlay", Libc.MS_RDONLY, $"lowerdir={l3}:{l2}:{l1},index=off,metacopy=off,redirect_dir=off");
        try
        {
            var overlay = Tree.Snapshot(mnt);
            var copy = Tree.Snapshot(merged);
            Tree.AssertSame(overlay, copy);

            // And the view is the one intended, not just the same wrong one twice.
            Assert.False(copy.ContainsKey("etc/motd"));
            Assert.False(copy.ContainsKey("d2"));
            Assert.Equal(["opq", "opq/c"], copy.Keys.Where(k => k.StartsWith("opq", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
            Assert.StartsWith("dir ", copy["becomes-dir"]);
            Assert.StartsWith("file ", copy["becomes-file"]);
            Assert.False(copy.ContainsKey("becomes-file/y"));
            Assert.Equal("root\nuser", File.ReadAllText(Path.Combine(merged, "etc/passwd")));
            Assert.Contains("linked-to=bin/busybox", copy["bin/cat"]);
            Assert.DoesNotContain("linked-to", copy["bin/ls"]);
            Assert.Contains("linked-to=etc/shadow", copy["etc/shadow-"]);
            Assert.Contains("mode=775 owner=2:3", copy["mode"]);
            Assert.Contains("xattr:user.m=32", copy["mode"]);
            Assert.StartsWith("chr mode=666 owner=0:0", copy["dev/null"]);
            Assert.Null(Tree.GetXattr(Path.Combine(merged, "opq"), "trusted.overlay.opaque"));
        }
        finally
        {
            Assert.Equal(0, Libc.umount2(mnt, 0));
        }
        _box.AssertSentinelUntouched();
    }

    [Fact]
    public void MergeOfOneLayerIsACopy()
    {
        var (l1, _, _) = ThreeLayers();
        string merged = _box.Child("copy");
        CopyMerge.Merge([l1], merged);
        Tree.AssertSame(Tree.Snapshot(l1), Tree.Snapshot(merged));
    }
}
