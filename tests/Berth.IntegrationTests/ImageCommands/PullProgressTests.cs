using Berth.IntegrationTests.Harness;

namespace Berth.IntegrationTests.ImageCommands;

/// <summary>Pull's output: docker's lines when piped, per-layer progress bars redrawn in place on a terminal.</summary>
[Collection("images")]
public sealed class PullProgressTests
{
    [Fact]
    public void PipedOutputIsOneLinePerEvent()
    {
        using var store = new TempStore();
        var lines = store.Berth("pull", $"{ImageFixture.Registry}/busybox:latest-oci").Ok().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("latest-oci: Pulling from busybox", lines[0]);
        Assert.Matches(@"^[0-9a-f]{12}: Pulling fs layer$", lines[1]);
        Assert.Contains(lines, l => l.EndsWith(": Pull complete", StringComparison.Ordinal));
        Assert.Matches(@"^Digest: sha256:[0-9a-f]{64}$", lines[^3]);
        Assert.DoesNotContain(lines, l => l.Contains('\u001b'));
    }

    [Fact]
    public void NoTagMeansLatestAndSaysSo()
    {
        using var store = new TempStore();
        var lines = store.Berth("pull", $"{ImageFixture.Registry}/busybox").Ok().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("Using default tag: latest", lines[0]);
        Assert.Equal($"{ImageFixture.Registry}/busybox:latest", lines[^1]);
        Assert.DoesNotContain("Using default tag", store.Berth("pull", $"{ImageFixture.Registry}/busybox:latest").Ok().Stdout);
    }

    [Fact]
    public void TerminalGetsProgressBars()
    {
        using var store = new TempStore();
        // script(1) runs the pull on a pseudo-terminal and keeps what it wrote.
        string log = Path.Combine(store.Dir, "typescript");
        var r = ImageFixture.Shell($"script -q -e -c \"'{BerthBinary.PathToBinary}' --root '{store.Root}' --runroot '{store.RunRoot}' pull {ImageFixture.Registry}/debian:bookworm-slim\" '{log}'");
        Assert.True(r.ExitCode == 0, r.ToString());
        string output = File.ReadAllText(log);
        Assert.Contains("Downloading [", output);
        Assert.Matches(@"\]\s+[0-9.]+[kM]?B/50\.9MB", output);
        Assert.Contains("\u001b[", output);   // cursor movement: lines redrawn in place
        Assert.Contains("Pull complete", output);
    }
}
