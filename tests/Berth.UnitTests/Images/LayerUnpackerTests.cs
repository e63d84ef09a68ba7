using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Berth.Images.Layers;
using Berth.Linux;

namespace Berth.UnitTests.Images;

/// <summary>What a layer holds comes out on disk as the tar says: contents, kinds, owners, modes, times, xattrs; whiteouts in overlay form.</summary>
public sealed class LayerUnpackerTests : IDisposable
{
    private readonly LayerSandbox _box = new();
    private static readonly UnpackOptions Root = new() { AllowDeviceNodes = true };

    public void Dispose() => _box.Dispose();

    private string P(string rel) => Path.Combine(_box.Root, rel);

    private static string Mode(string path) => Convert.ToString(Tree.Stat(path).Permissions, 8);

    [Fact]
    public void KeepsKindsOwnersModesTimesAndXattrs()
    {
        var t1 = new DateTimeOffset(2020, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var t2 = new DateTimeOffset(2019, 6, 7, 8, 9, 10, TimeSpan.Zero).AddTicks(1234567);   // sub-second: a pax mtime record
        var tar = new TarBuilder()
            .Dir("etc/", 0x1ED, mtime: t1)
            .File("etc/passwd", "root:x:0:0", 0x1A4)
            .Dir("bin/", 0x1ED, mtime: t1)
            .File("bin/su", "su binary", 0x9ED /* 04755 */, uid: 1000, gid: 1000)   // setuid survives chown only if chmod comes after
            .File("bin/wall", "wall", 0x5ED /* 02755 */, uid: 0, gid: 5)
            .HardLink("bin/su2", "bin/su")
            .Symlink("bin/sh", "busybox", uid: 1000, gid: 1001, mtime: t2)
            .Dir("tmp/", 0x3FF /* 01777 */)
            .Dir("home/u/", 0x1C0, uid: 1000, gid: 1000, mtime: t1)
            .File("home/u/notes", "hello", 0x180, uid: 1000, gid: 1000, mtime: t2,
                  xattrs: new Dictionary<string, string> { ["user.note"] = "v1", ["trusted.t"] = "tv" })
            .Device("run/fifo", TarEntryType.Fifo, 0, 0, mode: 0x180, uid: 7, gid: 8)
            .Device("dev/null", TarEntryType.CharacterDevice, 1, 3, mode: 0x1B6)
            .Device("dev/loop9", TarEntryType.BlockDevice, 7, 9, mode: 0x1B0, gid: 6)
            .Build();

        var result = LayerUnpacker.Unpack(tar, _box.Root, Root);

        Assert.Equal("root:x:0:0", File.ReadAllText(P("etc/passwd")));
        Assert.Equal("644", Mode(P("etc/passwd")));
        var su = Tree.Stat(P("bin/su"));
        Assert.Equal("4755", Convert.ToString(su.Permissions, 8));
        Assert.Equal((1000u, 1000u), (su.stx_uid, su.stx_gid));
        Assert.Equal(2u, su.stx_nlink);
        Assert.Equal(su.stx_ino, Tree.Stat(P("bin/su2")).stx_ino);
        var wall = Tree.Stat(P("bin/wall"));
        Assert.Equal("2755", Convert.ToString(wall.Permissions, 8));
        Assert.Equal(5u, wall.stx_gid);
        Assert.Equal("busybox", new FileInfo(P("bin/sh")).LinkTarget);
        var sh = Tree.Stat(P("bin/sh"));
        Assert.Equal((1000u, 1001u), (sh.stx_uid, sh.stx_gid));
        Assert.Equal(t2.ToUnixTimeSeconds(), sh.stx_mtime.tv_sec);
        Assert.Equal("1777", Mode(P("tmp")));
        Assert.Equal("700", Mode(P("home/u")));

        var notes = Tree.Stat(P("home/u/notes"));
        Assert.Equal(t2.ToUnixTimeSeconds(), notes.stx_mtime.tv_sec);
        Assert.Equal(123456700u, notes.stx_mtime.tv_nsec);
        Assert.Equal("v1"u8.ToArray(), Tree.GetXattr(P("home/u/notes"), "user.note"));
        Assert.Equal("tv"u8.ToArray(), Tree.GetXattr(P("home/u/notes"), "trusted.t"));

        // Directory times are set last: adding children afterwards did not disturb them.
        Assert.Equal(t1.ToUnixTimeSeconds(), Tree.Stat(P("etc")).stx_mtime.tv_sec);
        Assert.Equal(t1.ToUnixTimeSeconds(), Tree.Stat(P("bin")).stx_mtime.tv_sec);
        Assert.Equal(t1.ToUnixTimeSeconds(), Tree.Stat(P("home/u")).stx_mtime.tv_sec);

        var fifo = Tree.Stat(P("run/fifo"));
        Assert.Equal(Libc.S_IFIFO, fifo.Type);
        Assert.Equal((7u, 8u), (fifo.stx_uid, fifo.stx_gid));
        Assert.Equal("600", Convert.ToString(fifo.Permissions, 8));
        var nul = Tree.Stat(P("dev/null"));
        Assert.Equal((Libc.S_IFCHR, 1u, 3u), (nul.Type, nul.stx_rdev_major, nul.stx_rdev_minor));
        Assert.Equal("666", Convert.ToString(nul.Permissions, 8));
        var loop = Tree.Stat(P("dev/loop9"));
        Assert.Equal((Libc.S_IFBLK, 7u, 9u, 6u), (loop.Type, loop.stx_rdev_major, loop.stx_rdev_minor, loop.stx_gid));

        Assert.Equal("root:x:0:0".Length + "su binary".Length + "wall".Length + "hello".Length, result.Size);
        Assert.Equal(13, result.Entries);
        _box.AssertSentinelUntouched();
    }

    [Fact]
    public void BinaryXattrValuesAreKeptByteForByte()
    {
        // security.capability v2, effective, cap_setuid (bit 7): the 0x80 byte is not UTF-8 on its own.
        byte[] cap = [0x01, 0x00, 0x00, 0x02, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        byte[] binary = [0xff, 0xfe, 0x00, 0x80, 0x41];
        byte[] content = "#!/bin/true\n"u8.ToArray();
        var tar = new MemoryStream([
            .. RawTar.Pax(("SCHILY.xattr.security.capability", cap), ("SCHILY.xattr.user.bin", binary)),
            .. RawTar.Header("usr/bin/cap", '0', content.Length), .. RawTar.Pad(content), .. RawTar.End]);

        LayerUnpacker.Unpack(tar, _box.Root, Root);

        Assert.Equal(cap, Tree.GetXattr(P("usr/bin/cap"), "security.capability"));
        Assert.Equal(binary, Tree.GetXattr(P("usr/bin/cap"), "user.bin"));
        Assert.Equal(content, File.ReadAllBytes(P("usr/bin/cap")));
    }

    [Fact]
    public void XattrsOnSymlinksAndDeviceNodes()
    {
        // No descriptor can be opened on these: the xattrs go by name, without following the symlink.
        var tar = new MemoryStream([
            .. RawTar.Pax(("SCHILY.xattr.trusted.link", [0x80, 1]), ("SCHILY.xattr.user.refused", "x"u8.ToArray())),
            .. RawTar.Header("s", '2', linkName: "/etc/passwd"),
            .. RawTar.Pax(("SCHILY.xattr.trusted.dev", "d"u8.ToArray())),
            .. RawTar.Header("fifo", '6'),
            .. RawTar.End]);
        LayerUnpacker.Unpack(tar, _box.Root, Root);
        Assert.Equal([0x80, 1], Tree.GetXattr(P("s"), "trusted.link"));
        Assert.Null(Tree.GetXattr(P("s"), "user.refused"));   // Linux takes no user.* xattrs on symlinks: dropped, not an error
        Assert.Equal("d"u8.ToArray(), Tree.GetXattr(P("fifo"), "trusted.dev"));
        Assert.Null(Tree.GetXattr("/etc/passwd", "trusted.link"));
    }

    [Theory]
    [InlineData(TarEntryFormat.Pax)]
    [InlineData(TarEntryFormat.Gnu)]
    [InlineData(TarEntryFormat.Ustar)]
    public void LongNamesInEveryFormat(TarEntryFormat format)
    {
        string dir = string.Join('/', Enumerable.Repeat("directory-name-of-some-length", 4));   // 119 characters
        string file = dir + "/" + "file";
        string link = dir + "/" + "link";
        var builder = new TarBuilder(format).Dir(dir + "/").File(file, "deep");
        if (format != TarEntryFormat.Ustar) builder.Symlink(link, "/" + file);   // a 124-character target does not fit ustar
        LayerUnpacker.Unpack(builder.Build(), _box.Root, Root);
        Assert.Equal("deep", File.ReadAllText(P(file)));
        if (format != TarEntryFormat.Ustar) Assert.Equal("/" + file, new FileInfo(P(link)).LinkTarget);
    }

    [Fact]
    public void PathsAreNormalized()
    {
        var tar = new TarBuilder().File("./a//b/./c", "1").Dir("./d/").File("d/e", "2").Build();
        LayerUnpacker.Unpack(tar, _box.Root, Root);
        Assert.Equal("1", File.ReadAllText(P("a/b/c")));
        Assert.Equal("2", File.ReadAllText(P("d/e")));
    }

    [Fact]
    public void RootEntrySetsTheRootsMode()
    {
        var tar = new TarBuilder().Dir("./", 0x1E8 /* 0750 */, uid: 0, gid: 42).File("f", "x").Build();
        LayerUnpacker.Unpack(tar, _box.Root, Root);
        var st = Tree.Stat(_box.Root);
        Assert.Equal("750", Convert.ToString(st.Permissions, 8));
        Assert.Equal(42u, st.stx_gid);
        Assert.Equal(TarBuilder.Time.ToUnixTimeSeconds(), st.stx_mtime.tv_sec);
    }

    [Fact]
    public void MissingParentsAreCreated0755()
    {
        uint old = Libc.umask(0x3F /* 077 */);
        try { LayerUnpacker.Unpack(new TarBuilder().File("x/y/z", "1").Build(), _box.Root, Root); }
        finally { Libc.umask(old); }
        Assert.Equal("755", Mode(P("x")));
        Assert.Equal("755", Mode(P("x/y")));
        Assert.Equal("644", Mode(P("x/y/z")));
    }

    [Fact]
    public void LaterEntriesReplaceEarlierOnes()
    {
        var tar = new TarBuilder()
            .Dir("a/").File("a/x", "in a").File("a", "a is a file now")          // file over a directory with contents
            .File("b", "b was a file").Dir("b/", 0x1C0)                          // directory over a file
            .Dir("c/", 0x1C0).File("c/x", "kept").Dir("c/", 0x1ED)               // directory over directory: merged, new mode
            .File("e", "first").File("e", "second")                              // file over file
            .File("f", "file").Symlink("f", "elsewhere")                        // symlink over file
            .Symlink("g", "elsewhere").Dir("g/")                                 // directory over symlink
            .Build();
        LayerUnpacker.Unpack(tar, _box.Root, Root);
        Assert.Equal("a is a file now", File.ReadAllText(P("a")));
        Assert.True(Directory.Exists(P("b")));
        Assert.Equal("700", Mode(P("b")));
        Assert.Equal("kept", File.ReadAllText(P("c/x")));
        Assert.Equal("755", Mode(P("c")));
        Assert.Equal("second", File.ReadAllText(P("e")));
        Assert.Equal("elsewhere", new FileInfo(P("f")).LinkTarget);
        Assert.Equal(Libc.S_IFDIR, Tree.Stat(P("g")).Type);
    }

    [Fact]
    public void WhiteoutsBecomeOverlayWhiteouts()
    {
        var tar = new TarBuilder()
            .Dir("etc/")
            .File("etc/.wh.motd", "", uid: 12, gid: 34)
            .Dir("var/cache/")
            .File("var/cache/.wh..wh..opq", "")
            .File("var/cache/new", "n")
            .File(".wh..wh.aufs", "")                       // aufs metadata: skipped
            .Dir(".wh..wh.plnk/")
            .File(".wh..wh.plnk/1234.5678", "hardlink pool")
            .Build();
        var result = LayerUnpacker.Unpack(tar, _box.Root, Root);

        var wh = Tree.Stat(P("etc/motd"));
        Assert.Equal((Libc.S_IFCHR, 0u, 0u), (wh.Type, wh.stx_rdev_major, wh.stx_rdev_minor));
        Assert.Equal((12u, 34u), (wh.stx_uid, wh.stx_gid));
        Assert.False(Tree.Exists(P("etc/.wh.motd")));
        Assert.Equal("y"u8.ToArray(), Tree.GetXattr(P("var/cache"), "trusted.overlay.opaque"));
        Assert.False(Tree.Exists(P("var/cache/.wh..wh..opq")));
        Assert.Equal("n", File.ReadAllText(P("var/cache/new")));
        Assert.False(Tree.Exists(P(".wh..wh.aufs")));
        Assert.False(Tree.Exists(P(".wh..wh.plnk")));
        Assert.Equal(5, result.Entries);   // aufs metadata not counted
    }

    [Fact]
    public void WhiteoutsOnlyHideLowerLayers()
    {
        var tar = new TarBuilder()
            .File("kept", "mine").File(".wh.kept", "")              // whiteout after this layer's own file: the file stays
            .Dir("d/").File("d/x", "x").File(".wh.d", "")           // ... after its own directory: the directory stays, opaque
            .File(".wh.later", "").Dir("later/")                    // directory after a whiteout of its name: opaque
            .File(".wh.f", "").File("f", "new")                     // file after a whiteout of its name: just the file
            .Build();
        LayerUnpacker.Unpack(tar, _box.Root, Root);
        Assert.Equal("mine", File.ReadAllText(P("kept")));
        Assert.Equal("x", File.ReadAllText(P("d/x")));
        Assert.Equal("y"u8.ToArray(), Tree.GetXattr(P("d"), "trusted.overlay.opaque"));
        Assert.Equal(Libc.S_IFDIR, Tree.Stat(P("later")).Type);
        Assert.Equal("y"u8.ToArray(), Tree.GetXattr(P("later"), "trusted.overlay.opaque"));
        Assert.Equal("new", File.ReadAllText(P("f")));
    }

    [Fact]
    public void PlainModeWhiteoutsDeleteAndOpaqueClearsLowerContents()
    {
        // The root already holds the lower layers' merged contents.
        Directory.CreateDirectory(P("dir"));
        File.WriteAllText(P("keep"), "k");
        File.WriteAllText(P("gone"), "g");
        Directory.CreateDirectory(P("gonedir/sub"));
        File.WriteAllText(P("gonedir/sub/f"), "f");
        Directory.CreateDirectory(P("opq/sub"));
        File.WriteAllText(P("opq/lower"), "l");
        File.WriteAllText(P("opq/sub/lower"), "l");
        File.WriteAllText(P("dir/a"), "a");

        var tar = new TarBuilder()
            .File(".wh.gone", "").File(".wh.gonedir", "").File(".wh.missing", "")
            .Dir("opq/")
            .File("opq/-early", "e")                 // sorts before the marker: this layer's, must survive it
            .Dir("opq/sub/").File("opq/sub/mine", "m")
            .File("opq/.wh..wh..opq", "")
            .File("opq/new", "n")
            .File("mine", "m").File(".wh.mine", "")   // a whiteout does not delete its own layer's file
            .Build();
        LayerUnpacker.Unpack(tar, _box.Root, new UnpackOptions { OverlayWhiteouts = false });

        Assert.False(Tree.Exists(P("gone")));
        Assert.False(Tree.Exists(P("gonedir")));
        Assert.Equal("k", File.ReadAllText(P("keep")));
        Assert.Equal("a", File.ReadAllText(P("dir/a")));
        Assert.Equal(["-early", "new", "sub"], Directory.EnumerateFileSystemEntries(P("opq")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(["mine"], Directory.EnumerateFileSystemEntries(P("opq/sub")).Select(Path.GetFileName));
        Assert.Equal("m", File.ReadAllText(P("mine")));
        Assert.Null(Tree.GetXattr(P("opq"), "trusted.overlay.opaque"));
        _box.AssertSentinelUntouched();
    }

    [Fact]
    public void HardlinkToALowerLayerCopiesTheTargetUp()
    {
        string lower = _box.Dir("lower");
        Directory.CreateDirectory(Path.Combine(lower, "usr/bin"));
        string tool = Path.Combine(lower, "usr/bin/tool");
        File.WriteAllText(tool, "tool binary");
        Tree.Chown(tool, 1000, 1001);
        Tree.Chmod(tool, 0x1E9 /* 0751 */);
        Tree.SetXattr(tool, "user.origin", [1, 2, 0x80]);
        Tree.SetMtime(tool, 1500000000, 5);
        Tree.Chown(Path.Combine(lower, "usr/bin"), 3, 4);
        Tree.Chmod(Path.Combine(lower, "usr/bin"), 0x1E8 /* 0750 */);
        Tree.SetMtime(Path.Combine(lower, "usr/bin"), 1400000000, 0);

        var seen = new List<string>();
        var options = new UnpackOptions
        {
            LowerLookup = rel =>
            {
                seen.Add(rel);
                string p = Path.Combine(lower, rel);
                return Tree.Exists(p) ? p : null;
            },
        };
        var tar = new TarBuilder().HardLink("usr/bin/tool2", "usr/bin/tool").Build();
        var result = LayerUnpacker.Unpack(tar, _box.Root, options);

        Assert.Contains("usr/bin/tool", seen);
        var copy = Tree.Stat(P("usr/bin/tool"));
        var link = Tree.Stat(P("usr/bin/tool2"));
        Assert.Equal(copy.stx_ino, link.stx_ino);
        Assert.Equal(2u, copy.stx_nlink);
        Assert.Equal("tool binary", File.ReadAllText(P("usr/bin/tool2")));
        Assert.Equal((1000u, 1001u, "751"), (copy.stx_uid, copy.stx_gid, Convert.ToString(copy.Permissions, 8)));
        Assert.Equal((1500000000L, 5u), (copy.stx_mtime.tv_sec, copy.stx_mtime.tv_nsec));
        Assert.Equal([1, 2, 0x80], Tree.GetXattr(P("usr/bin/tool"), "user.origin"));
        Assert.NotEqual(Tree.Stat(tool).stx_ino, copy.stx_ino);   // a copy, the lower layer untouched
        Assert.Equal(1u, Tree.Stat(tool).stx_nlink);
        // The parents the layer left out look like the lower ones, not like fresh 0755 root directories.
        var bin = Tree.Stat(P("usr/bin"));
        Assert.Equal((3u, 4u, "750", 1400000000L), (bin.stx_uid, bin.stx_gid, Convert.ToString(bin.Permissions, 8), bin.stx_mtime.tv_sec));
        Assert.Equal("tool binary".Length, result.Size);
    }

    [Fact]
    public void HardlinkToAWhiteoutIsRefused()
    {
        var tar = new TarBuilder().File(".wh.x", "").HardLink("y", "x").Build();
        var e = Assert.Throws<Berth.Images.Manifests.ImageFormatException>(() => LayerUnpacker.Unpack(tar, _box.Root, Root));
        Assert.Contains("deleted by a whiteout", e.Message);
    }

    [Fact]
    public void HardlinkToASymlinkLinksTheSymlinkItself()
    {
        var tar = new TarBuilder().Symlink("s", "/etc/passwd").HardLink("h", "s").Build();
        LayerUnpacker.Unpack(tar, _box.Root, Root);
        Assert.Equal("/etc/passwd", new FileInfo(P("h")).LinkTarget);
        Assert.Equal(Tree.Stat(P("s")).stx_ino, Tree.Stat(P("h")).stx_ino);
    }

    [Fact]
    public void StreamsThatCannotSeekAndGzipWork()
    {
        byte[] big = new byte[3 << 20];
        new Random(7).NextBytes(big);
        var builder = new TarBuilder();
        builder.File("small", "s");
        var tar = builder.BytesWithoutEnd();
        var withBig = new MemoryStream();
        withBig.Write(tar);
        using (var w = new TarWriter(withBig, TarEntryFormat.Pax, leaveOpen: true))
            w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "big") { DataStream = new MemoryStream(big), Mode = (UnixFileMode)0x1A4 });
        var gz = new MemoryStream();
        using (var z = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) z.Write(withBig.ToArray());
        gz.Position = 0;

        using var unzip = new GZipStream(gz, CompressionMode.Decompress);
        var result = LayerUnpacker.Unpack(unzip, _box.Root, Root);
        Assert.Equal(big, File.ReadAllBytes(P("big")));
        Assert.Equal("s", File.ReadAllText(P("small")));
        Assert.Equal(big.Length + 1, result.Size);
    }

    [Fact]
    public void GlobalPaxHeadersAreIgnored()
    {
        var stream = new MemoryStream();
        using (var w = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            w.WriteEntry(new PaxGlobalExtendedAttributesTarEntry(new Dictionary<string, string> { ["comment"] = "abc" }));
            w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "f") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes("x")) });
        }
        stream.Position = 0;
        var result = LayerUnpacker.Unpack(stream, _box.Root, Root);
        Assert.Equal(1, result.Entries);
        Assert.Equal("x", File.ReadAllText(P("f")));
    }

    [Fact]
    public void EmptyTarIsAnEmptyLayer()
    {
        var result = LayerUnpacker.Unpack(new MemoryStream(RawTar.End), _box.Root, Root);
        Assert.Equal(new UnpackResult(0, 0), result);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_box.Root));
    }
}
