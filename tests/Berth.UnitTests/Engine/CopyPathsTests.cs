using Berth.Engine.Copy;
using Berth.Engine.Options;

namespace Berth.UnitTests.Engine;

/// <summary>docker cp's path rules (Go's path functions, trailing "/" and "/.", archive renaming) and the prune/list filters.</summary>
public sealed class CopyPathsTests
{
    [Theory]
    [InlineData("", ".")]
    [InlineData("/", "/")]
    [InlineData("//a//b/", "/a/b")]
    [InlineData("/a/./b/../c", "/a/c")]
    [InlineData("/../..", "/")]
    [InlineData("a/../../b", "../b")]
    [InlineData("./", ".")]
    public void CleanIsGos(string path, string clean) => Assert.Equal(clean, CopyPaths.Clean(path));

    [Theory]
    [InlineData("/etc/passwd", "/etc", "passwd")]
    [InlineData("/etc/", "/", "etc")]
    [InlineData("/etc/.", "/etc", ".")]
    [InlineData("/", "/", "/")]
    [InlineData("file", ".", "file")]
    public void SplitPathDirEntry(string path, string dir, string name) =>
        Assert.Equal((dir, name), CopyPaths.SplitPathDirEntry(path));

    [Theory]
    [InlineData("etc", "/etc")]
    [InlineData("/etc/", "/etc/")]
    [InlineData("etc/.", "/etc/.")]
    [InlineData("../../etc/../tmp/", "/tmp/")]
    [InlineData("", "/.")]
    public void ContainerPathsStartAtTheRootAndKeepTheirTrailingMarks(string path, string expected) =>
        Assert.Equal(expected, CopyPaths.ContainerPath(path));

    [Theory]
    [InlineData("/etc", "etc")]
    [InlineData("/etc/", "etc")]
    [InlineData("/etc/.", ".")]
    [InlineData("/", ".")]
    public void ArchivesAreNamedByTheLastElement(string path, string root) => Assert.Equal(root, CopyPaths.ArchiveRootName(path));

    [Theory]
    [InlineData("ctr:/etc", "ctr", "/etc")]
    [InlineData("ctr:relative", "ctr", "relative")]
    [InlineData("/abs/with:colon", null, "/abs/with:colon")]
    [InlineData("./file:name.txt", null, "./file:name.txt")]
    [InlineData("plain", null, "plain")]
    [InlineData("-", null, "-")]
    public void SplitCpArgIsDockers(string arg, string? container, string path) =>
        Assert.Equal((container, path), CopyPaths.SplitCpArg(arg));

    [Fact]
    public void RebaseNamesFollowTheLinkThatWasFollowed()
    {
        Assert.Equal(("/etc/passwd", (string?)"link"), CopyPaths.GetRebaseName("/tmp/link", "/etc/passwd"));
        Assert.Equal(("/real/.", (string?)null), CopyPaths.GetRebaseName("/tmp/link/.", "/real"));
        Assert.Equal(("/real/", (string?)"link"), CopyPaths.GetRebaseName("/tmp/link/", "/real"));
        Assert.Equal(("/x/same", (string?)null), CopyPaths.GetRebaseName("/y/same", "/x/same"));
    }

    [Fact]
    public void PrepareArchiveCopyCoversDockersTable()
    {
        var file = new CopyInfo("/src/f", true, false);
        var dir = new CopyInfo("/src/d", true, true);
        var existingDir = new CopyInfo("/dst/dir", true, true);
        var existingFile = new CopyInfo("/dst/file", true, false);
        var missing = new CopyInfo("/dst/new");
        var missingAsDir = new CopyInfo("/dst/new/");

        Assert.Equal(("/dst/dir", (string?)null), CopyPaths.PrepareArchiveCopy(file, existingDir));
        Assert.Equal(("/dst", (string?)"file"), CopyPaths.PrepareArchiveCopy(file, existingFile));
        Assert.Equal(("/dst", (string?)"new"), CopyPaths.PrepareArchiveCopy(file, missing));
        Assert.Equal("no such directory", Assert.Throws<CopyException>(() => CopyPaths.PrepareArchiveCopy(file, missingAsDir)).Message);

        Assert.Equal(("/dst/dir", (string?)null), CopyPaths.PrepareArchiveCopy(dir, existingDir));
        Assert.Equal("cannot copy directory", Assert.Throws<CopyException>(() => CopyPaths.PrepareArchiveCopy(dir, existingFile)).Message);
        Assert.Equal(("/dst", (string?)"new"), CopyPaths.PrepareArchiveCopy(dir, missing));
        Assert.Equal(("/dst", (string?)"new"), CopyPaths.PrepareArchiveCopy(dir, missingAsDir));
    }

    [Theory]
    [InlineData("d/", "d", "new", "new/")]
    [InlineData("d/sub/x", "d", "new", "new/sub/x")]
    [InlineData("./sub/x", ".", "new", "new/sub/x")]
    [InlineData("dd/x", "d", "new", "dd/x")]
    [InlineData("f", "f", "g", "g")]
    public void RebaseReplacesOnlyTheRootElement(string name, string oldRoot, string newRoot, string expected) =>
        Assert.Equal(expected, CopyPaths.Rebase(name, oldRoot, newRoot));

    [Fact]
    public void FiltersMatchLabelsAndTimes()
    {
        var labels = new Dictionary<string, string> { ["team"] = "boats", ["tier"] = "" };
        Assert.True(FilterFlags.Parse(["label=team"], "label").MatchesLabels(labels));
        Assert.True(FilterFlags.Parse(["label=team=boats", "label=tier"], "label").MatchesLabels(labels));
        Assert.False(FilterFlags.Parse(["label=team=cars"], "label").MatchesLabels(labels));
        Assert.False(FilterFlags.Parse(["label!=team"], "label").MatchesLabels(labels));
        Assert.True(FilterFlags.Parse(["label!=colour"], "label").MatchesLabels(labels));
        Assert.True(FilterFlags.Parse([], "label").MatchesLabels(null));

        var until = FilterFlags.Parse(["until=2000-01-01T00:00:00Z"], "until");
        Assert.True(until.MatchesUntil(new DateTime(1999, 12, 31, 0, 0, 0, DateTimeKind.Utc)));
        Assert.False(until.MatchesUntil(new DateTime(2000, 1, 2, 0, 0, 0, DateTimeKind.Utc)));
        Assert.True(FilterFlags.Parse(["until=1h"], "until").MatchesUntil(DateTime.UtcNow.AddHours(-2)));
        Assert.False(FilterFlags.Parse(["until=1h"], "until").MatchesUntil(DateTime.UtcNow));
        Assert.True(FilterFlags.Parse(["until=946684800"], "until").MatchesUntil(new DateTime(1999, 1, 1, 0, 0, 0, DateTimeKind.Utc)));

        Assert.Equal("invalid filter 'colour'", Assert.Throws<ArgumentException>(() => FilterFlags.Parse(["colour=red"], "label")).Message);
        Assert.Throws<ArgumentException>(() => FilterFlags.Parse(["novalue"], "label"));
    }
}
