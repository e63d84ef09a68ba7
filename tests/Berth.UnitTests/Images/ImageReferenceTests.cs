using Berth.Images.References;

namespace Berth.UnitTests.Images;

public sealed class ImageReferenceTests
{
    [Theory]
    [InlineData("busybox", "docker.io", "library/busybox", null, null, "busybox")]
    [InlineData("busybox:1.36", "docker.io", "library/busybox", "1.36", null, "busybox")]
    [InlineData("library/busybox", "docker.io", "library/busybox", null, null, "busybox")]
    [InlineData("docker.io/busybox", "docker.io", "library/busybox", null, null, "busybox")]
    [InlineData("index.docker.io/library/busybox", "docker.io", "library/busybox", null, null, "busybox")]
    [InlineData("user/app:v1", "docker.io", "user/app", "v1", null, "user/app")]
    [InlineData("docker.io/library/a/b", "docker.io", "library/a/b", null, null, "library/a/b")]
    [InlineData("127.0.0.1:5000/busybox", "127.0.0.1:5000", "busybox", null, null, "127.0.0.1:5000/busybox")]
    [InlineData("localhost/app:1", "localhost", "app", "1", null, "localhost/app")]
    [InlineData("localhost:5000/a/b/c:t", "localhost:5000", "a/b/c", "t", null, "localhost:5000/a/b/c")]
    [InlineData("quay.io/org/img@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "quay.io", "org/img", null,
        "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "quay.io/org/img")]
    [InlineData("Registry/app", "Registry", "app", null, null, "Registry/app")]
    [InlineData("a__b/c.d-e---f:_tag-1.x", "docker.io", "a__b/c.d-e---f", "_tag-1.x", null, "a__b/c.d-e---f")]
    [InlineData("[::1]:5000/img", "[::1]:5000", "img", null, null, "[::1]:5000/img")]
    public void ParsesAsDockerDoes(string text, string domain, string path, string? tag, string? digest, string familiar)
    {
        var r = ImageReference.Parse(text);
        Assert.Equal(domain, r.Domain);
        Assert.Equal(path, r.Path);
        Assert.Equal(tag, r.Tag);
        Assert.Equal(digest, r.Digest);
        Assert.Equal(familiar, r.FamiliarRepository);
    }

    [Theory]
    [InlineData("")]
    [InlineData("UPPER")]
    [InlineData("docker.io/UPPER/x")]
    [InlineData("a//b")]
    [InlineData("a/")]
    [InlineData("-a")]
    [InlineData("a-")]
    [InlineData("a..b")]
    [InlineData("a___b")]
    [InlineData("img:")]
    [InlineData("img:-tag")]
    [InlineData("img@sha256:abc")]
    [InlineData("img@md5:0123456789abcdef0123456789abcdef")]
    [InlineData("host:port/img")]
    [InlineData("img:tag with space")]
    public void RefusesWhatDockerRefuses(string text)
    {
        Assert.False(ImageReference.TryParse(text, out _, out string error));
        Assert.StartsWith("invalid reference format", error);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void TagIsAtMost128Characters()
    {
        Assert.True(ImageReference.TryParse("img:" + new string('a', 128), out _, out _));
        Assert.False(ImageReference.TryParse("img:" + new string('a', 129), out _, out _));
    }

    [Fact]
    public void NameIsAtMost255Characters()
    {
        Assert.False(ImageReference.TryParse("host.example/" + new string('a', 250), out _, out string error));
        Assert.Contains("255", error);
    }

    [Fact]
    public void DefaultTagIsLatestButNotWithADigest()
    {
        Assert.Equal("docker.io/library/busybox:latest", ImageReference.Parse("busybox").WithDefaultTag().ToString());
        var pinned = ImageReference.Parse("busybox@sha256:" + new string('a', 64)).WithDefaultTag();
        Assert.Null(pinned.Tag);
        Assert.Equal("sha256:" + new string('a', 64), pinned.ManifestReference);
    }
}
