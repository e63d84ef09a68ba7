using Berth.Images.Registry;

namespace Berth.UnitTests.Images;

public sealed class RegistryEndpointTests
{
    [Theory]
    [InlineData("127.0.0.1:5000", "http://127.0.0.1:5000/")]
    [InlineData("127.0.0.1", "http://127.0.0.1/")]
    [InlineData("localhost:5000", "http://localhost:5000/")]
    [InlineData("localhost", "http://localhost/")]
    [InlineData("[::1]:5000", "http://[::1]:5000/")]
    [InlineData("registry.example.com", "https://registry.example.com/")]
    [InlineData("registry.example.com:5000", "https://registry.example.com:5000/")]
    [InlineData("127.0.0.2:5000", "https://127.0.0.2:5000/")]
    [InlineData("localhost.example.com", "https://localhost.example.com/")]
    [InlineData("docker.io", "https://registry-1.docker.io/")]
    [InlineData("index.docker.io", "https://registry-1.docker.io/")]
    public void Plain_http_only_for_loopback_names(string domain, string baseUri) =>
        Assert.Equal(baseUri, RegistryEndpoint.For(domain, []).BaseUri.ToString());

    [Fact]
    public void Insecure_registries_allow_plain_http_for_their_port_or_any_port()
    {
        string[] insecure = ["reg.lan:5000", "other.lan", "http://third.lan:80/"];
        Assert.True(RegistryEndpoint.For("reg.lan:5000", insecure).IsPlainHttp);
        Assert.False(RegistryEndpoint.For("reg.lan:5001", insecure).IsPlainHttp);
        Assert.False(RegistryEndpoint.For("reg.lan", insecure).IsPlainHttp);
        Assert.True(RegistryEndpoint.For("other.lan", insecure).IsPlainHttp);
        Assert.True(RegistryEndpoint.For("other.lan:8080", insecure).IsPlainHttp);
        Assert.True(RegistryEndpoint.For("third.lan:80", insecure).IsPlainHttp);
        Assert.False(RegistryEndpoint.For("sub.other.lan", insecure).IsPlainHttp);
    }

    [Theory]
    [InlineData("https://index.docker.io/v1/", "docker.io")]
    [InlineData("index.docker.io", "docker.io")]
    [InlineData("registry-1.docker.io", "docker.io")]
    [InlineData("docker.io", "docker.io")]
    [InlineData("http://Reg.Example:5000/v2/", "reg.example:5000")]
    [InlineData(" quay.io ", "quay.io")]
    public void Registry_names_are_normalized(string given, string domain) =>
        Assert.Equal(domain, RegistryEndpoint.Normalize(given));

    [Fact]
    public void Docker_Hub_credentials_have_docker_s_key()
    {
        Assert.Equal("https://index.docker.io/v1/", RegistryEndpoint.For("docker.io", []).CredentialKey);
        Assert.Equal("127.0.0.1:5000", RegistryEndpoint.For("127.0.0.1:5000", []).CredentialKey);
    }

    [Fact]
    public void A_host_that_is_no_host_is_refused()
    {
        var e = Assert.Throws<RegistryException>(() => RegistryEndpoint.For("bad host", []));
        Assert.Equal("invalid registry host \"bad host\"", e.Message);
    }
}
