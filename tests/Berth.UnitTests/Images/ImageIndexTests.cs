using Berth.Images.Store;

namespace Berth.UnitTests.Images;

public sealed class ImageIndexTests
{
    private static ImageRecord Image(char hex, params string[] tags) => new()
    {
        Id = "sha256:" + hex + new string('0', 63), ManifestDigest = "sha256:" + new string('e', 64),
        ManifestMediaType = "application/vnd.oci.image.manifest.v1+json", RepoTags = tags,
    };

    private static readonly ImageList s_list = new()
    {
        Images =
        [
            Image('a', "docker.io/library/busybox:latest", "127.0.0.1:5000/app:v1"),
            Image('b', "docker.io/library/abc:latest"),
            Image('c'),
        ],
    };

    [Theory]
    [InlineData("busybox", 'a')]
    [InlineData("busybox:latest", 'a')]
    [InlineData("docker.io/library/busybox", 'a')]
    [InlineData("127.0.0.1:5000/app:v1", 'a')]
    [InlineData("abc", 'b')]                 // a name wins over an id prefix
    [InlineData("c000", 'c')]
    [InlineData("sha256:c0", 'c')]
    [InlineData("a0000000000000000000000000000000000000000000000000000000000000000", null)]
    public void FindsByNameOrId(string text, char? want)
    {
        var found = ImageIndex.Find(s_list, text);
        if (want is null) Assert.Null(found);
        else Assert.Equal(want.Value, found!.Id[7]);
    }

    [Fact]
    public void AmbiguousPrefixIsAnError()
    {
        var list = new ImageList { Images = [Image('d'), Image('d') with { Id = "sha256:d1" + new string('0', 62) }] };
        Assert.Contains("ambiguous", Assert.Throws<InvalidOperationException>(() => ImageIndex.Find(list, "sha256:d")).Message);
        Assert.Contains("ambiguous", Assert.Throws<InvalidOperationException>(() => ImageIndex.Find(list, "d")).Message);
    }

    [Fact]
    public void TagMovesBetweenImages()
    {
        var list = new ImageList { Images = [Image('a', "x:1"), Image('b')] };
        ImageIndex.SetTag(list, list.Images[1], "x:1", DateTimeOffset.UnixEpoch);
        Assert.Empty(list.Images[0].RepoTags);
        Assert.Equal(["x:1"], list.Images[1].RepoTags);
    }

    [Fact]
    public void UnknownNameIsNull() => Assert.Null(ImageIndex.Find(s_list, "nothere:1"));
}
