using Berth.Oci;
using Berth.Runtime.Cgroups;

namespace Berth.UnitTests.Cgroups;

public sealed class CgroupPathTests
{
    [Theory]
    [InlineData(null, "/berth/c1")]
    [InlineData("", "/berth/c1")]
    [InlineData("a/b", "/berth/a/b")]
    [InlineData("pod1", "/berth/pod1")]
    [InlineData("a//b/", "/berth/a/b")]
    [InlineData("/a/b", "/a/b")]
    [InlineData("/kubepods/burstable/pod1/c1", "/kubepods/burstable/pod1/c1")]
    [InlineData("//a///b", "/a/b")]
    [InlineData("/berth/x", "/berth/x")]
    [InlineData("/kube:pods/a:b:c", "/kube:pods/a:b:c")]
    [InlineData("a...b", "/berth/a...b")]
    public void Resolves(string? cgroupsPath, string expected)
        => Assert.Equal(expected, CgroupPath.Resolve(cgroupsPath, "c1"));

    [Theory]
    [InlineData("../x")]
    [InlineData("a/../../x")]
    [InlineData("/a/../b")]
    [InlineData("/a/./b")]
    [InlineData("..")]
    public void DotComponentsAreRefused(string path)
    {
        var e = Assert.Throws<SpecException>(() => CgroupPath.Resolve(path, "c1"));
        Assert.StartsWith("linux.cgroupsPath:", e.Message);
        Assert.Contains("not allowed", e.Message);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("///")]
    public void HierarchyRootIsRefused(string path)
        => Assert.Contains("hierarchy root", Assert.Throws<SpecException>(() => CgroupPath.Resolve(path, "c1")).Message);

    [Fact]
    public void BerthParentItselfIsRefused()
        => Assert.Contains("shared parent", Assert.Throws<SpecException>(() => CgroupPath.Resolve("/berth", "c1")).Message);

    [Theory]
    [InlineData("system.slice:berth:c1")]
    [InlineData(":berth:c1")]
    [InlineData("-:docker:abc")]
    public void SystemdFormIsRefusedClearly(string path)
    {
        var e = Assert.Throws<SpecException>(() => CgroupPath.Resolve(path, "c1"));
        Assert.Contains("systemd cgroup driver not supported", e.Message);
    }

    [Theory]
    [InlineData("a\nb")]
    [InlineData("/a/b\0")]
    public void ControlCharactersAreRefused(string path)
        => Assert.Contains("control character", Assert.Throws<SpecException>(() => CgroupPath.Resolve(path, "c1")).Message);

    [Theory]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData(".")]
    public void IdThatIsNotOneComponentIsRefused(string id)
        => Assert.Throws<SpecException>(() => CgroupPath.Resolve(null, id));

    [Fact]
    public void ChainListsAncestorsTopFirst()
    {
        Assert.Equal(["/berth", "/berth/a", "/berth/a/b"], CgroupPath.Chain("/berth/a/b"));
        Assert.Equal(["/x"], CgroupPath.Chain("/x"));
    }

    [Fact]
    public void UnderBerthMeansBelowTheParent()
    {
        Assert.True(CgroupPath.IsUnderBerth("/berth/a"));
        Assert.False(CgroupPath.IsUnderBerth("/berth"));
        Assert.False(CgroupPath.IsUnderBerth("/berthx/a"));
        Assert.False(CgroupPath.IsUnderBerth("/a/berth/b"));
    }

    [Fact]
    public void ParsesProcCgroupOfAHybridHost()
    {
        var paths = CgroupPaths.Parse("""
            9:name=systemd:/
            8:pids:/berth/c1
            2:cpu,cpuacct:/berth/c1
            4:memory:/process_api/x
            0::/berth/c1
            """);
        Assert.Equal("/berth/c1", paths.V1["pids"]);
        Assert.Equal("/berth/c1", paths.V1["cpu"]);
        Assert.Equal("/berth/c1", paths.V1["cpuacct"]);
        Assert.Equal("/process_api/x", paths.V1["memory"]);
        Assert.Equal("/", paths.V1["name=systemd"]);
        Assert.Equal("/berth/c1", paths.Unified);
    }

    [Fact]
    public void ParsesProcCgroupOfAV2Host()
    {
        var paths = CgroupPaths.Parse("0::/user.slice/a:b\n");
        Assert.Empty(paths.V1);
        Assert.Equal("/user.slice/a:b", paths.Unified);
    }

    [Fact]
    public void CurrentReadsTheCallersOwnCgroups()
    {
        var paths = CgroupPaths.Current(Environment.ProcessId);
        Assert.True(paths.Unified is not null || paths.V1.Count > 0);
    }
}
