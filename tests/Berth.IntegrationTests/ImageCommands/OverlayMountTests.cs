using Berth.Images.Snapshots;
using Berth.Linux;

namespace Berth.IntegrationTests.ImageCommands;

/// <summary>Overlay mounts of deep images: more layers than mount(2)'s one-page option string can name.</summary>
[Collection("images")]
public sealed class OverlayMountTests
{
    [Theory]
    [InlineData(3)]
    [InlineData(150)]
    public void EveryLayerIsVisible(int layers)
    {
        using var store = new TempStore();
        var dirs = new List<string>();
        for (int i = 0; i < layers; i++)
        {
            // Long names, so that 150 of them are far beyond 4096 bytes of options.
            string dir = Path.Combine(store.Dir, $"layer-with-a-deliberately-long-directory-name-{i:D4}", "fs");
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, $"f{i}"), i.ToString());
            File.WriteAllText(Path.Combine(dir, "top"), i.ToString());
            dirs.Add(dir);
        }
        Assert.Equal(layers > 100, string.Join(':', dirs).Length > 4096);
        string target = Path.Combine(store.Dir, "merged");
        Directory.CreateDirectory(target);
        dirs.Reverse();   // top first
        OverlayMount.Mount(dirs, null, null, target);
        try
        {
            for (int i = 0; i < layers; i++) Assert.Equal(i.ToString(), File.ReadAllText(Path.Combine(target, $"f{i}")));
            Assert.Equal((layers - 1).ToString(), File.ReadAllText(Path.Combine(target, "top")));
            Assert.Contains("Read-only", Assert.Throws<IOException>(() => File.WriteAllText(Path.Combine(target, "new"), "x")).Message);
        }
        finally { OverlayMount.Unmount(target); }
    }

    [Fact]
    public void WritableWithUpperDir()
    {
        using var store = new TempStore();
        string lower = Path.Combine(store.Dir, "lower"), upper = Path.Combine(store.Dir, "upper"), work = Path.Combine(store.Dir, "work"), target = Path.Combine(store.Dir, "merged");
        foreach (var d in new[] { lower, upper, work, target }) Directory.CreateDirectory(d);
        File.WriteAllText(Path.Combine(lower, "old"), "lower");
        OverlayMount.Mount([lower], upper, work, target);
        try
        {
            File.WriteAllText(Path.Combine(target, "new"), "upper");
            File.Delete(Path.Combine(target, "old"));
        }
        finally { OverlayMount.Unmount(target); }
        Assert.Equal("upper", File.ReadAllText(Path.Combine(upper, "new")));
        Assert.True(File.Exists(Path.Combine(lower, "old")), "the lower layer is never written");
        // A deletion leaves a whiteout, a 0/0 character device, in the upper dir.
        Assert.Equal(0, Libc.statx(Libc.AT_FDCWD, Path.Combine(upper, "old"), Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_TYPE, out var st));
        Assert.Equal(Libc.S_IFCHR, st.Type);
        Assert.Equal(0u, st.stx_rdev_major + st.stx_rdev_minor);
    }
}
