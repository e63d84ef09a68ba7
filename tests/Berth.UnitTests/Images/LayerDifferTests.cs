using System.Diagnostics;
using System.Formats.Tar;
using Berth.Images.Layers;
using Berth.Linux;

namespace Berth.UnitTests.Images;

/// <summary>WriteDiff turns an overlayfs upper dir into a layer tar that unpacks back into the same tree.</summary>
public sealed class LayerDifferTests : IDisposable
{
    private readonly LayerSandbox _box = new();

    public void Dispose() => _box.Dispose();

    /// <summary>An upper dir with every kind of thing WriteDiff must carry.</summary>
    private string BuildUpper()
    {
        string u = _box.Dir("upper");
        string P(string rel) => Path.Combine(u, rel);
        Directory.CreateDirectory(P("etc"));
        File.WriteAllText(P("etc/hostname"), "box\n");
        Tree.SetMtime(P("etc/hostname"), 1600000000, 123456789);
        Directory.CreateDirectory(P("bin"));
        File.WriteAllText(P("bin/su"), "su");
        Tree.Chown(P("bin/su"), 1000, 1000);
        Tree.Chmod(P("bin/su"), 0x9ED /* 04755 */);
        Tree.Link(P("bin/su"), P("bin/su-again"));
        File.CreateSymbolicLink(P("bin/sh"), "/bin/busybox");
        Tree.Chown(P("bin/sh"), 5, 6);
        Tree.SetMtime(P("bin/sh"), 1500000000, 0);
        File.WriteAllBytes(P("bin/cap"), [1, 2, 3]);
        Tree.SetXattr(P("bin/cap"), "security.capability", [0x01, 0, 0, 0x02, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        Tree.SetXattr(P("bin/cap"), "user.bin", [0xff, 0x00, 0x80]);
        Tree.SetXattr(P("bin/cap"), "trusted.t", "v"u8.ToArray());
        byte[] big = new byte[2_500_000];
        new Random(42).NextBytes(big);
        File.WriteAllBytes(P("bin/big"), big);
        File.WriteAllBytes(P("bin/empty"), []);
        // Whiteouts as overlayfs makes them; one as a hardlink of another (overlayfs shares a whiteout inode).
        Tree.Mknod(P("etc/motd"), Libc.S_IFCHR, 0, 0);
        Tree.Chown(P("etc/motd"), 3, 3);
        Tree.Mknod(P("gone"), Libc.S_IFCHR, 0, 0);
        Tree.Link(P("gone"), P("gone-too"));
        Directory.CreateDirectory(P("var/cache/apt"));
        Tree.SetXattr(P("var/cache"), "trusted.overlay.opaque", "y"u8.ToArray());
        File.WriteAllText(P("var/cache/apt/pkgcache"), "pkgs");
        Tree.Mknod(P("dev-null"), Libc.S_IFCHR | 0x1B6, 1, 3);
        Tree.Mknod(P("fifo"), Libc.S_IFIFO | 0x180, 0, 0);
        string deep = string.Join('/', Enumerable.Repeat("a-rather-long-directory-name", 5));
        Directory.CreateDirectory(P(deep));
        File.WriteAllText(P(deep + "/file-with-a-long-path"), "deep");
        File.CreateSymbolicLink(P("long-link"), "/" + deep + "/file-with-a-long-path");
        Directory.CreateDirectory(P("tmp"));
        Tree.Chmod(P("tmp"), 0x3FF /* 01777 */);
        Tree.SetXattr(P("tmp"), "user.dir", "d"u8.ToArray());
        // Directory times last.
        foreach (string d in new[] { "etc", "bin", "var/cache/apt", "var/cache", "var", "tmp", deep })
            Tree.SetMtime(P(d), 1234567890, 999);
        return u;
    }

    private static List<(string Name, TarEntryType Type, string Link)> Entries(byte[] tar)
    {
        var list = new List<(string, TarEntryType, string)>();
        using var reader = new TarReader(new MemoryStream(tar));
        while (reader.GetNextEntry() is { } e) list.Add((e.Name, e.EntryType, e.LinkName));
        return list;
    }

    [Fact]
    public void WhiteoutsOpaqueDirsAndHardlinksAreTranslated()
    {
        string upper = BuildUpper();
        var tar = new MemoryStream();
        LayerDiffer.WriteDiff(upper, tar);
        var entries = Entries(tar.ToArray());
        var names = entries.Select(e => e.Name).ToList();

        Assert.Contains("etc/.wh.motd", names);
        Assert.Contains(".wh.gone", names);
        Assert.Contains(".wh.gone-too", names);   // whiteouts are never written as hardlinks
        Assert.DoesNotContain("etc/motd", names);
        int cache = names.IndexOf("var/cache/");
        Assert.True(cache >= 0);
        Assert.Equal("var/cache/.wh..wh..opq", names[cache + 1]);
        Assert.Contains(("bin/su-again", TarEntryType.HardLink, "bin/su"), entries);
        Assert.Contains(("bin/sh", TarEntryType.SymbolicLink, "/bin/busybox"), entries);
        Assert.DoesNotContain(names, n => n.Length == 0 || n == "./" || n.StartsWith('/'));
        // Sorted, depth first: every directory comes before what it holds.
        Assert.True(names.IndexOf("bin/") < names.IndexOf("bin/big") && names.IndexOf("bin/big") < names.IndexOf("bin/cap"));
    }

    [Fact]
    public void UnpackOfWriteDiffReproducesTheUpperDir()
    {
        string upper = BuildUpper();
        var tar = new MemoryStream();
        LayerDiffer.WriteDiff(upper, tar);
        tar.Position = 0;
        string back = _box.Dir("back");
        LayerUnpacker.Unpack(tar, back, new UnpackOptions { AllowDeviceNodes = true });

        var expected = Tree.Snapshot(upper);
        var actual = Tree.Snapshot(back);
        // The roots themselves are not in a diff.
        expected.Remove("");
        actual.Remove("");
        // The shared whiteout inode comes back as two separate whiteouts.
        expected["gone-too"] = expected["gone-too"].Replace(" linked-to=gone", "");
        Tree.AssertSame(expected, actual);
        Assert.Equal("y"u8.ToArray(), Tree.GetXattr(Path.Combine(back, "var/cache"), "trusted.overlay.opaque"));
        Assert.Null(Tree.GetXattr(Path.Combine(back, "var"), "trusted.overlay.opaque"));
        _box.AssertSentinelUntouched();
    }

    [Fact]
    public void GnuTarReadsTheDiff()
    {
        // An independent reader: GNU tar extracts contents, owners, modes, mtimes and binary xattrs the same.
        string u = _box.Dir("plain");
        Directory.CreateDirectory(Path.Combine(u, "d"));
        string f = Path.Combine(u, "d", new string('f', 120));
        File.WriteAllText(f, "content");
        Tree.Chown(f, 1234, 5678);
        Tree.Chmod(f, 0x1E9);
        Tree.SetXattr(f, "user.bin", [0x80, 0x0a, 0x00, 0xff]);
        Tree.SetMtime(f, 1600000000, 500000000);
        string tarPath = _box.Child("plain.tar");
        using (var s = File.Create(tarPath)) LayerDiffer.WriteDiff(u, s);

        string outDir = _box.Dir("gnu");
        var psi = new ProcessStartInfo("tar", ["--xattrs", "--xattrs-include=*", "--numeric-owner", "--same-owner", "-xpf", tarPath, "-C", outDir])
        { RedirectStandardError = true };
        using var tar = Process.Start(psi)!;
        string err = tar.StandardError.ReadToEnd();
        tar.WaitForExit();
        Assert.True(tar.ExitCode == 0, err);
        var expected = Tree.Snapshot(u, dirTimes: false);
        var actual = Tree.Snapshot(outDir, dirTimes: false);
        expected.Remove("");
        actual.Remove("");
        Tree.AssertSame(expected, actual);
    }
}
