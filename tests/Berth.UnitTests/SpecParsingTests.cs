using Berth.Oci;

namespace Berth.UnitTests;

public sealed class SpecParsingTests
{
    [Fact]
    public void MalformedJsonNamesThePath()
    {
        var e = Assert.Throws<SpecException>(() => OciJson.ParseSpec("""{"process":{"args":[1]}}"""u8));
        Assert.Contains("$.process.args", e.Message);
    }

    [Fact]
    public void ParsesIdMappingsWithSpecNames()
    {
        var spec = OciJson.ParseSpec("""{"ociVersion":"1.2.0","linux":{"uidMappings":[{"containerID":0,"hostID":1000,"size":65536}]}}"""u8);
        var m = Assert.Single(spec.Linux!.UidMappings!);
        Assert.Equal((0u, 1000u, 65536u), (m.ContainerId, m.HostId, m.Size));
    }
}
