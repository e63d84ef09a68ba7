using System.Text.Json;
using Berth.IntegrationTests.Harness;

namespace Berth.IntegrationTests;

[Collection("runtime")]
public sealed class SpecAndFeaturesTests
{
    [Fact]
    public void SpecWritesAValidConfigAndRefusesToOverwrite()
    {
        using var s = new RuntimeSession();
        string dir = Directory.CreateTempSubdirectory("berth-test-spec-").FullName;
        try
        {
            s.Runtime("spec", "--bundle", dir).Ok();
            var spec = Berth.Oci.OciJson.ParseSpec(File.ReadAllBytes(Path.Combine(dir, "config.json")));
            Berth.Oci.SpecValidator.Validate(spec, dir, _ => true);
            Assert.Equal("rootfs", spec.Root!.Path);
            var again = s.Runtime("spec", "--bundle", dir);
            Assert.Equal(1, again.ExitCode);
            Assert.Contains("exists", again.Stderr);
            File.Delete(Path.Combine(dir, "config.json"));
            s.Runtime("spec", "--rootless", "--bundle", dir).Ok();
            Assert.Contains("\"user\"", File.ReadAllText(Path.Combine(dir, "config.json")));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void FeaturesDescribeThisRuntimeAndHost()
    {
        using var s = new RuntimeSession();
        var f = JsonDocument.Parse(s.Runtime("features").Ok().Stdout).RootElement;
        Assert.Equal("1.2.0", f.GetProperty("ociVersionMax").GetString());
        var linux = f.GetProperty("linux");
        Assert.Contains("time", linux.GetProperty("namespaces").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("CAP_SYS_ADMIN", linux.GetProperty("capabilities").EnumerateArray().Select(e => e.GetString()));
        Assert.True(linux.GetProperty("cgroup").GetProperty("v1").GetBoolean());
        Assert.True(linux.GetProperty("seccomp").GetProperty("enabled").GetBoolean());
        Assert.Contains("rbind", f.GetProperty("mountOptions").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void BadConfigsAreRefusedWithTheFieldNamed()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("true");
        b.Spec.Linux!.Namespaces!.Add(new Berth.Oci.LinuxNamespace { Type = "bogus" });
        var r = s.Run(b);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("linux.namespaces", r.Stderr);
        Assert.Contains("bogus", r.Stderr);

        File.WriteAllText(Path.Combine(b.Dir, "config.json"), "{\"ociVersion\": \"1.2.0\", \"process\": {\"args\": 5}}");
        var j = s.Runtime("create", "--bundle", b.Dir, s.NewId());
        Assert.Equal(1, j.ExitCode);
        Assert.Contains("$.process.args", j.Stderr);
        Assert.Single(j.Stderr.Trim().Split('\n'));
        Assert.Empty(s.Runtime("list", "-q").Ok().Stdout.Trim());
    }

    [Fact]
    public void LogFileGetsErrorsInJson()
    {
        using var s = new RuntimeSession();
        string log = Path.Combine(s.Root, "runtime.log");
        var r = BerthBinary.Run(["runtime", "--root", s.Root, "--log", log, "--log-format", "json", "state", "nope"]);
        Assert.Equal(1, r.ExitCode);
        var line = JsonDocument.Parse(File.ReadAllLines(log)[0]).RootElement;
        Assert.Equal("error", line.GetProperty("level").GetString());
        Assert.Contains("does not exist", line.GetProperty("msg").GetString());
    }

    [Fact]
    public void DebugWritesEachCommandToTheLog()
    {
        using var s = new RuntimeSession();
        string log = Path.Combine(s.Root, "debug.log");
        BerthBinary.Run(["runtime", "--root", s.Root, "--log", log, "--debug", "list", "-q"]).Ok();
        string text = File.ReadAllText(log);
        Assert.Contains("level=debug", text);
        Assert.Contains("list: exit status 0", text);
    }

    [Fact]
    public void TheSystemdCgroupDriverIsRefusedClearly()
    {
        using var s = new RuntimeSession();
        var r = BerthBinary.Run(["runtime", "--root", s.Root, "--systemd-cgroup", "list"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("systemd cgroup driver is not supported", r.Stderr);
    }
}
