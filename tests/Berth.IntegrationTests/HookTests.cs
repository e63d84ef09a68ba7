using System.Text.Json;
using Berth.IntegrationTests.Harness;
using Berth.Oci;

namespace Berth.IntegrationTests;

[Collection("runtime")]
public sealed class HookTests
{
    private static Hook Record(string dir, string name)
        => new() { Path = "/bin/sh", Args = ["sh", "-c", $"cat > {dir}/{name}.json; echo {name} >> {dir}/order"] };

    [Fact]
    public void EveryHookRunsInOrderWithTheStateOnStdin()
    {
        using var s = new RuntimeSession();
        string dir = Directory.CreateTempSubdirectory("berth-test-hooks-").FullName;
        try
        {
            using var b = new Bundle("true");
            // startContainer runs inside the container: its path resolves there (busybox sh) and it writes to a bind mount.
            b.Spec.Mounts!.Add(new Mount { Destination = "/hooks", Type = "bind", Source = dir, Options = ["rbind", "rw"] });
            b.Spec.Hooks = new Hooks
            {
                Prestart = [Record(dir, "prestart")],
                CreateRuntime = [Record(dir, "createRuntime")],
                CreateContainer = [Record(dir, "createContainer")],
                StartContainer = [new Hook { Path = "/bin/sh", Args = ["sh", "-c", "cat > /hooks/startContainer.json; echo startContainer >> /hooks/order"] }],
                Poststart = [Record(dir, "poststart")],
                Poststop = [Record(dir, "poststop")],
            };
            string id = s.NewId();
            s.Run(b, id).Ok();
            Assert.Equal("prestart\ncreateRuntime\ncreateContainer\nstartContainer\npoststart\npoststop\n", File.ReadAllText(Path.Combine(dir, "order")));
            var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "createRuntime.json"))).RootElement;
            Assert.Equal(id, state.GetProperty("id").GetString());
            Assert.Equal("creating", state.GetProperty("status").GetString());
            Assert.True(state.GetProperty("pid").GetInt32() > 0);
            Assert.Equal(b.Dir, state.GetProperty("bundle").GetString());
            Assert.Equal("stopped", JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "poststop.json"))).RootElement.GetProperty("status").GetString());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void AFailingPrestartHookAbortsCreateAndLeavesNothing()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("true");
        b.Spec.Hooks = new Hooks { Prestart = [new Hook { Path = "/bin/sh", Args = ["sh", "-c", "exit 4"] }] };
        b.Write();
        string id = s.NewId();
        var r = s.Runtime("create", "--bundle", b.Dir, id);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("prestart hook #0", r.Stderr);
        Assert.Contains("status 4", r.Stderr);
        Assert.Empty(s.Runtime("list", "-q").Ok().Stdout.Trim());
        Assert.False(Directory.Exists($"/sys/fs/cgroup/pids/berth/{id}"));
    }

    [Fact]
    public void AHookThatOverrunsItsTimeoutIsKilled()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("true");
        b.Spec.Hooks = new Hooks { CreateRuntime = [new Hook { Path = "/bin/sleep", Args = ["sleep", "30"], Timeout = 1 }] };
        b.Write();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var r = s.Runtime("create", "--bundle", b.Dir, s.NewId());
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("timed out", r.Stderr);
        Assert.InRange(sw.Elapsed.TotalSeconds, 0.9, 10);
    }
}
