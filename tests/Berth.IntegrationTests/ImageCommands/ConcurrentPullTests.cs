using System.Diagnostics;
using Berth.IntegrationTests.Harness;

namespace Berth.IntegrationTests.ImageCommands;

/// <summary>Several pulls into one store at once: each blob is fetched and unpacked once, every pull succeeds.</summary>
[Collection("images")]
public sealed class ConcurrentPullTests
{
    [Fact]
    public async Task SamePullThreeTimesAtOnce()
    {
        using var store = new TempStore();
        string image = $"{ImageFixture.Registry}/layered:latest";
        var pulls = Enumerable.Range(0, 3).Select(_ =>
        {
            var psi = new ProcessStartInfo(BerthBinary.PathToBinary, ["--root", store.Root, "--runroot", store.RunRoot, "pull", image])
            {
                RedirectStandardOutput = true, RedirectStandardError = true,
            };
            return Process.Start(psi)!;
        }).ToList();
        var outputs = new List<(string Out, string Err)>();
        foreach (var p in pulls) outputs.Add((await p.StandardOutput.ReadToEndAsync(), await p.StandardError.ReadToEndAsync()));
        foreach (var p in pulls) Assert.True(p.WaitForExit(120_000));
        for (int i = 0; i < pulls.Count; i++)
            Assert.True(pulls[i].ExitCode == 0, $"pull {i}: {outputs[i].Out} {outputs[i].Err}");
        // Each of the 9 layers was unpacked by exactly one of them ("Pull complete"); the others found it done.
        int completed = outputs.Sum(o => o.Out.Split('\n').Count(l => l.EndsWith(": Pull complete", StringComparison.Ordinal)));
        Assert.Equal(9, completed);
        Assert.Equal(image + "\n", store.Berth("images", "--format", "{{.Repository}}:{{.Tag}}").Ok().Stdout);
        Assert.Equal(9, Directory.GetDirectories(Path.Combine(store.Root, "snapshots")).Count(d => !Path.GetFileName(d).StartsWith('.')));
        foreach (var p in pulls) p.Dispose();
    }
}
