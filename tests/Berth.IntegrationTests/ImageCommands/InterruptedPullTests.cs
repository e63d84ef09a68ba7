using System.Diagnostics;
using Berth.IntegrationTests.Harness;

namespace Berth.IntegrationTests.ImageCommands;

/// <summary>kill -9 of a pull at several moments: the store stays readable and the next pull completes it.</summary>
[Collection("images")]
public sealed class InterruptedPullTests
{
    [Theory]
    [InlineData(50)]
    [InlineData(300)]
    [InlineData(700)]
    public void KilledPullLeavesAStoreTheNextPullCompletes(int killAfterMs)
    {
        using var store = new TempStore();
        string image = $"{ImageFixture.Registry}/debian:bookworm-slim";
        var psi = new ProcessStartInfo(BerthBinary.PathToBinary, ["--root", store.Root, "--runroot", store.RunRoot, "pull", "-q", image])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using (var p = Process.Start(psi)!)
        {
            Thread.Sleep(killAfterMs);
            if (!p.HasExited) p.Kill();   // SIGKILL
            p.WaitForExit();
        }
        // Readable right away: either no image yet, or the whole image.
        var listed = store.Berth("images", "--format", "{{.Repository}}:{{.Tag}}").Ok().Stdout;
        Assert.True(listed is "" || listed == image + "\n", listed);

        store.Berth("pull", "-q", image).Ok();
        Assert.Equal(image + "\n", store.Berth("images", "--format", "{{.Repository}}:{{.Tag}}").Ok().Stdout);
        Assert.Empty(Directory.GetDirectories(Path.Combine(store.Root, "snapshots"), ".*"));
        string merged = store.Berth("image", "mount", image).Ok().Stdout.Trim();
        try { Assert.True(File.Exists(Path.Combine(merged, "usr/bin/bash"))); }
        finally { store.Berth("image", "unmount", image).Ok(); }
        store.Berth("image", "prune", "-a", "-f").Ok();
        Assert.Empty(Directory.GetFiles(Path.Combine(store.Root, "content/ingest"), "*.partial"));
    }
}
