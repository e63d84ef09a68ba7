namespace Berth.IntegrationTests.Containers;

/// <summary>The engine's event stream, and attaching to a running container.</summary>
[Collection("images")]
public sealed class EventsAndAttachTests(EngineStore store) : IClassFixture<EngineStore>
{
    [Fact]
    public void EventsRecordAContainersLife()
    {
        string since = DateTime.UtcNow.AddSeconds(-1).ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
        store.Berth("run", "-d", "--name", "eventful", "-l", "team=docks", "busybox", "sleep", "600").Ok();
        store.Berth("stop", "-t", "0", "eventful").Ok();
        store.Berth("rm", "eventful").Ok();
        string until = DateTime.UtcNow.AddSeconds(1).ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
        var actions = store.Berth("events", "--since", since, "--until", until, "--filter", "container=eventful", "--format", "{{.Action}}").Ok()
            .Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["create", "start", "die", "stop", "destroy"], actions);
        var labelled = store.Berth("events", "--since", since, "--until", until, "--filter", "label=team=docks", "--filter", "event=die", "--format", "json").Ok().Stdout;
        Assert.Contains("\"exitCode\":\"137\"", labelled);
        Assert.Equal("", store.Berth("events", "--since", since, "--until", until, "--filter", "container=nobody").Ok().Stdout);
    }

    [Fact]
    public void AttachFollowsARunningContainerToItsEnd()
    {
        store.Berth("run", "-d", "--name", "attachable", "busybox", "sh", "-c", "sleep 1; echo late; echo later >&2; exit 4").Ok();
        try
        {
            var r = store.Berth("attach", "--no-stdin", "attachable");
            Assert.Equal(4, r.ExitCode);
            Assert.Equal("late\n", r.Stdout);
            Assert.Equal("later\n", r.Stderr);
            var stopped = store.Berth("attach", "attachable");
            Assert.NotEqual(0, stopped.ExitCode);
            Assert.Contains("stopped container", stopped.Stderr);
        }
        finally { store.Berth("rm", "-f", "attachable").Ok(); }
    }
}
