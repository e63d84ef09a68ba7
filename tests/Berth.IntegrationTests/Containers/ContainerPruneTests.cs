namespace Berth.IntegrationTests.Containers;

/// <summary>berth container prune: stopped containers go (by label and age when filtered), running ones stay.</summary>
[Collection("images")]
public sealed class ContainerPruneTests(EngineStore store) : IClassFixture<EngineStore>
{
    [Fact]
    public void PruneRemovesStoppedContainersOnly()
    {
        string running = store.Berth("run", "-d", "--name", "prune-running", "busybox", "sleep", "600").Ok().Stdout.Trim();
        store.Berth("run", "--name", "prune-labelled", "--label", "batch=old", "busybox", "sh", "-c", "head -c 3000 /dev/zero > /blob").Ok();
        string labelled = store.IdOf("prune-labelled");
        string created = store.Berth("create", "--name", "prune-created", "busybox", "true").Ok().Stdout.Trim();
        try
        {
            // Filters: a label picks, an "until" in the past picks nothing.
            Assert.Equal("Total reclaimed space: 0B\n", store.Berth("container", "prune", "-f", "--filter", "until=2000-01-01T00:00:00Z").Ok().Stdout);
            var byLabel = store.Berth("container", "prune", "-f", "--filter", "label=batch=old").Ok();
            Assert.Equal($"Deleted Containers:\n{labelled}\n\nTotal reclaimed space: 3kB\n", byLabel.Stdout);
            Assert.Equal(1, store.Berth("container", "prune", "-f", "--filter", "colour=red").ExitCode);
            // Without -f it asks first; "n" keeps everything.
            Assert.Contains("WARNING! This will remove all stopped containers.", store.BerthIn("n\n", "container", "prune").Ok().Stdout);
            Assert.Equal(3 - 1, store.Berth("ps", "-aq").Ok().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

            var all = store.Berth("container", "prune", "--force").Ok();
            Assert.Equal($"Deleted Containers:\n{created}\n\nTotal reclaimed space: 0B\n", all.Stdout);
            Assert.Equal(running[..12] + "\n", store.Berth("ps", "-aq").Ok().Stdout);
        }
        finally { store.Berth("rm", "-f", "prune-running").Ok(); }
        Assert.Empty(store.Leftovers([labelled, created, running]));
    }
}
