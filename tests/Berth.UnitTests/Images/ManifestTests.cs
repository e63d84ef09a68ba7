using System.Text;
using Berth.Images.Manifests;
using Berth.Images.Snapshots;

namespace Berth.UnitTests.Images;

public sealed class ManifestTests
{
    private static Manifest Index(params (string Os, string Arch, string? Variant)[] entries) => new()
    {
        SchemaVersion = 2,
        MediaType = MediaTypes.OciIndex,
        Manifests = entries.Select((e, i) => new Descriptor
        {
            MediaType = MediaTypes.OciManifest, Digest = "sha256:" + new string((char)('a' + i), 64), Size = 100,
            Platform = new Platform { Os = e.Os, Architecture = e.Arch, Variant = e.Variant },
        }).ToArray(),
    };

    [Fact]
    public void SelectsThePlatform()
    {
        var index = Index(("linux", "amd64", null), ("linux", "arm64", "v8"), ("linux", "arm", "v7"), ("windows", "amd64", null));
        Assert.Equal("sha256:" + new string('a', 64), PlatformMatcher.Select(index, PlatformMatcher.Parse("linux/amd64")).Digest);
        Assert.Equal("sha256:" + new string('b', 64), PlatformMatcher.Select(index, PlatformMatcher.Parse("linux/arm64")).Digest);
        Assert.Equal("sha256:" + new string('b', 64), PlatformMatcher.Select(index, PlatformMatcher.Parse("linux/aarch64/v8")).Digest);
        Assert.Equal("sha256:" + new string('c', 64), PlatformMatcher.Select(index, PlatformMatcher.Parse("linux/arm/v7")).Digest);
        Assert.Equal("sha256:" + new string('d', 64), PlatformMatcher.Select(index, PlatformMatcher.Parse("windows/amd64")).Digest);
        var e = Assert.Throws<ImageFormatException>(() => PlatformMatcher.Select(index, PlatformMatcher.Parse("linux/s390x")));
        Assert.Contains("no matching manifest for linux/s390x", e.Message);
        Assert.Contains("linux/arm64/v8", e.Message);
    }

    [Fact]
    public void Arm64WithoutVariantMatchesV8()
    {
        var index = Index(("linux", "arm64", null));
        Assert.NotNull(PlatformMatcher.Select(index, PlatformMatcher.Parse("linux/arm64/v8")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("linux/")]
    [InlineData("a/b/c/d")]
    public void BadPlatformStrings(string text) => Assert.Throws<FormatException>(() => PlatformMatcher.Parse(text));

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("null", "empty")]
    [InlineData("[1,2]", "not valid JSON")]
    public void BadManifestBytes(string text, string message)
    {
        var e = Assert.Throws<ImageFormatException>(() => ManifestReader.Parse(Encoding.UTF8.GetBytes(text), "manifest"));
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void HugeManifestRefusedBeforeParsing()
    {
        var e = Assert.Throws<ImageFormatException>(() => ManifestReader.Parse(new byte[5 << 20], "manifest"));
        Assert.Contains("4 MiB", e.Message);
    }

    private static Manifest Image(string layerType = MediaTypes.OciLayerGzip, long size = 10, string digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000") => new()
    {
        SchemaVersion = 2,
        Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = "sha256:" + new string('1', 64), Size = 5 },
        Layers = [new Descriptor { MediaType = layerType, Digest = digest, Size = size }],
    };

    [Fact]
    public void ValidatesImageManifests()
    {
        ManifestReader.ValidateImageManifest(Image(), MediaTypes.OciManifest, "m");
        Assert.Contains("non-distributable", Assert.Throws<ImageFormatException>(() =>
            ManifestReader.ValidateImageManifest(Image(MediaTypes.DockerForeignLayer), MediaTypes.DockerManifest, "m")).Message);
        Assert.Contains("unsupported layer media type", Assert.Throws<ImageFormatException>(() =>
            ManifestReader.ValidateImageManifest(Image("application/x-evil"), MediaTypes.OciManifest, "m")).Message);
        Assert.Contains("absurd size", Assert.Throws<ImageFormatException>(() =>
            ManifestReader.ValidateImageManifest(Image(size: -1), MediaTypes.OciManifest, "m")).Message);
        Assert.Contains("invalid digest", Assert.Throws<ImageFormatException>(() =>
            ManifestReader.ValidateImageManifest(Image(digest: "sha256:../../etc"), MediaTypes.OciManifest, "m")).Message);
        Assert.Contains("schema 1", Assert.Throws<ImageFormatException>(() =>
            ManifestReader.ValidateImageManifest(Image() with { SchemaVersion = 1 }, MediaTypes.DockerSchema1Signed, "m")).Message);
    }

    [Fact]
    public void MediaTypeFromHeaderFieldOrShape()
    {
        Assert.Equal(MediaTypes.DockerManifest, ManifestReader.MediaTypeOf(Image(), MediaTypes.DockerManifest));
        Assert.Equal(MediaTypes.OciManifest, ManifestReader.MediaTypeOf(Image(), "application/json"));
        Assert.Equal(MediaTypes.OciIndex, ManifestReader.MediaTypeOf(new Manifest { Manifests = [] }, null));
    }

    [Fact]
    public void ChainIdsFollowTheSpec()
    {
        string a = "sha256:" + new string('a', 64), b = "sha256:" + new string('b', 64);
        var chain = SnapshotStore.ChainIds([a, b]);
        Assert.Equal(a, chain[0]);
        string want = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.ASCII.GetBytes(a + " " + b)));
        Assert.Equal(want, chain[1]);
    }
}
