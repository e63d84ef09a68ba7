using System.Formats.Tar;
using System.Text;
using Berth.Images.Layers;
using Berth.Images.Manifests;

namespace Berth.UnitTests.Images;

/// <summary>
/// Hostile layers: each must be refused with an <see cref="ImageFormatException"/> naming the
/// problem, and nothing outside the unpack root may change (the sandbox checks its sentinel files).
/// </summary>
public sealed class LayerUnpackerHostileTests : IDisposable
{
    private readonly LayerSandbox _box = new();
    private static readonly UnpackOptions Options = new() { AllowDeviceNodes = false };

    public void Dispose() => _box.Dispose();

    private ImageFormatException Refused(Stream tar, UnpackOptions? options = null)
    {
        var e = Assert.Throws<ImageFormatException>(() => LayerUnpacker.Unpack(tar, _box.Root, options ?? Options));
        Assert.DoesNotContain('\n', e.Message);
        _box.AssertSentinelUntouched();
        return e;
    }

    [Theory]
    [InlineData("../escape", "\"..\" component")]
    [InlineData("a/../../x", "\"..\" component")]
    [InlineData("ok/../../../outside/victim", "\"..\" component")]
    [InlineData("/abs", "absolute path")]
    [InlineData("/outside/victim", "absolute path")]
    public void PathsLeavingTheRootAreRefused(string name, string problem)
    {
        var tar = new TarBuilder().Dir("ok/").File(name, "pwned").Build();
        var e = Refused(tar);
        Assert.Contains($"\"{name}\"", e.Message);
        Assert.Contains(problem, e.Message);
        Assert.False(File.Exists(Path.Combine(_box.Base, "escape")));
    }

    [Fact]
    public void NulInAPaxPathIsRefused()
    {
        var tar = new MemoryStream([.. RawTar.Pax(("path", "a\0b"u8.ToArray())), .. RawTar.Header("placeholder", '0'), .. RawTar.End]);
        var e = Refused(tar);
        Assert.Contains("NUL", e.Message);
    }

    [Fact]
    public void WritingThroughAnAbsoluteSymlinkIsRefused()
    {
        var tar = new TarBuilder().Symlink("x", _box.Outside).File("x/victim", "pwned").File("x/new", "pwned").Build();
        var e = Refused(tar);
        Assert.Contains("\"x/victim\"", e.Message);
        Assert.Contains("parent \"x\" is a symbolic link", e.Message);
    }

    [Fact]
    public void WritingThroughARelativeSymlinkUpwardsIsRefused()
    {
        var tar = new TarBuilder().Symlink("x", "../..").Dir("x/y/").Build();
        var e = Refused(tar);
        Assert.Contains("parent \"x\" is a symbolic link", e.Message);
    }

    [Fact]
    public void WritingThroughANestedSymlinkIsRefused()
    {
        // d/up -> ../../outside; then d/up/dir/file: the symlink is the second component.
        var tar = new TarBuilder().Dir("d/").Symlink("d/up", "../../outside").File("d/up/dir/file", "pwned").Build();
        var e = Refused(tar);
        Assert.Contains("parent \"d/up\" is a symbolic link", e.Message);
        Assert.False(File.Exists(Path.Combine(_box.Outside, "dir", "file")));
    }

    [Fact]
    public void SymlinkToADirectoryInsideTheLayerIsNotFollowedEither()
    {
        var tar = new TarBuilder().Dir("real/").Symlink("alias", "real").File("alias/f", "x").Build();
        Refused(tar);
        Assert.False(File.Exists(Path.Combine(_box.Root, "real", "f")));
    }

    [Theory]
    [InlineData("../../etc/passwd", "\"..\" component")]
    [InlineData("/etc/passwd", "absolute path")]
    public void HardlinkTargetsOutsideTheLayerAreRefused(string target, string problem)
    {
        var tar = new TarBuilder().HardLink("l", target).Build();
        var e = Refused(tar);
        Assert.Contains(problem, e.Message);
        Assert.Contains("hardlink target", e.Message);
    }

    [Fact]
    public void HardlinkTargetThroughASymlinkIsRefused()
    {
        var tar = new TarBuilder().Symlink("x", _box.Outside).HardLink("l", "x/victim").Build();
        var e = Refused(tar);
        Assert.Contains("parent \"x\" is a symbolic link", e.Message);
        Assert.Equal(1u, Tree.Stat(_box.Victim).stx_nlink);
    }

    [Fact]
    public void HardlinkToAMissingTargetWithoutLowerLookupIsRefused()
    {
        var tar = new TarBuilder().HardLink("l", "nowhere").Build();
        var e = Refused(tar);
        Assert.Contains("neither in this layer nor below it", e.Message);
    }

    [Fact]
    public void WritingThroughAHardlinkToAnEscapingSymlinkIsRefused()
    {
        // s -> outside dir; h is a hardlink of the symlink itself; h/victim must not reach outside.
        var tar = new TarBuilder().Symlink("s", _box.Outside).HardLink("h", "s").File("h/victim", "pwned").Build();
        var e = Refused(tar);
        Assert.Contains("parent \"h\" is a symbolic link", e.Message);
    }

    [Fact]
    public void DeviceNodesAreRefusedUnlessAllowed()
    {
        var tar = new TarBuilder().Device("dev/sda", TarEntryType.BlockDevice, 8, 0).Build();
        var e = Refused(tar);
        Assert.Contains("\"dev/sda\"", e.Message);
        Assert.Contains("device node refused", e.Message);
        Assert.False(Tree.Exists(Path.Combine(_box.Root, "dev", "sda")));

        var chr = new TarBuilder().Device("null", TarEntryType.CharacterDevice, 1, 3).Build();
        Assert.Contains("device node refused", Refused(chr).Message);
    }

    [Fact]
    public void TruncatedDataIsRefused()
    {
        byte[] full = new TarBuilder().File("a", new string('x', 5000)).File("b", "y").Build().ToArray();
        var e = Refused(new MemoryStream(full[..2048]));   // header + 1.5 KiB of 5000 bytes
        Assert.Contains("truncated or malformed", e.Message);
    }

    [Fact]
    public void TruncatedHeaderIsRefused()
    {
        byte[] full = new TarBuilder().File("a", "x").File("b", "y").Build().ToArray();
        var e = Refused(new MemoryStream(full[..(1024 + 300)]));   // a's header and data, 300 bytes of b's header
        Assert.Contains("truncated or malformed", e.Message);
    }

    [Fact]
    public void GarbledHeaderIsRefused()
    {
        byte[] bytes = new TarBuilder().File("a", "x").Build().ToArray();
        bytes[10] ^= 0x55;   // checksum no longer matches
        var e = Refused(new MemoryStream(bytes));
        Assert.Contains("truncated or malformed", e.Message);
    }

    [Fact]
    public void HugeDeclaredSizeIsRefused()
    {
        // 2 TiB in a base-256 size field, then not nearly that much data.
        var tar = new MemoryStream([.. RawTar.Header("big", '0', sizeField: RawTar.Base256(2L << 40)), .. new byte[4096]]);
        var e = Refused(tar);
        Assert.Contains("\"big\"", e.Message);
        Assert.Contains("1 TiB", e.Message);
    }

    [Fact]
    public void HugePaxSizeIsRefused()
    {
        var tar = new MemoryStream([.. RawTar.Pax(("size", "99999999999999999"u8.ToArray())), .. RawTar.Header("big", '0'), .. RawTar.End]);
        var e = Refused(tar);
        Assert.Contains("big", e.Message);
    }

    [Fact]
    public void NegativeBase256SizeIsRefused()
    {
        byte[] field = RawTar.Base256(0);
        field.AsSpan().Fill(0xFF);   // -1 in two's complement base-256
        var tar = new MemoryStream([.. RawTar.Header("neg", '0', sizeField: field), .. RawTar.End]);
        Refused(tar);
    }

    [Fact]
    public void OverlayAttributesInATarAreNotApplied()
    {
        // A layer must not be able to set overlayfs' own xattrs (redirect, opaque...) directly.
        var tar = new TarBuilder().Dir("d/", xattrs: new Dictionary<string, string> { ["trusted.overlay.redirect"] = "/etc", ["user.ok"] = "1" }).Build();
        LayerUnpacker.Unpack(tar, _box.Root, Options);
        string d = Path.Combine(_box.Root, "d");
        Assert.Null(Tree.GetXattr(d, "trusted.overlay.redirect"));
        Assert.Equal("1"u8.ToArray(), Tree.GetXattr(d, "user.ok"));
        _box.AssertSentinelUntouched();
    }

    [Fact]
    public void ARegularFileReplacesAnEscapingSymlinkInsteadOfWritingThroughIt()
    {
        // Legitimate tar semantics (a later entry replaces an earlier one), so no error: but the
        // symlink is replaced, and its target outside stays as it was.
        var tar = new TarBuilder().Symlink("s", _box.Victim).File("s", "pwned").Build();
        LayerUnpacker.Unpack(tar, _box.Root, Options);
        string s = Path.Combine(_box.Root, "s");
        Assert.Null(new FileInfo(s).LinkTarget);
        Assert.Equal("pwned", File.ReadAllText(s));
        _box.AssertSentinelUntouched();
    }

    [Fact]
    public void AFileReplacingAHardlinkOfAnEscapingSymlinkDoesNotWriteThroughIt()
    {
        var tar = new TarBuilder().Symlink("s", _box.Victim).HardLink("h", "s").File("h", "pwned").Build();
        LayerUnpacker.Unpack(tar, _box.Root, Options);
        Assert.Equal("pwned", File.ReadAllText(Path.Combine(_box.Root, "h")));
        Assert.Equal(_box.Victim, new FileInfo(Path.Combine(_box.Root, "s")).LinkTarget);
        _box.AssertSentinelUntouched();
    }

    [Fact]
    public void DanglingSymlinkIsReplacedNotCreatedThrough()
    {
        // s -> outside/new (does not exist yet): O_CREAT through it would create outside/new.
        string target = Path.Combine(_box.Outside, "new");
        var tar = new TarBuilder().Symlink("s", target).File("s", "pwned").Build();
        LayerUnpacker.Unpack(tar, _box.Root, Options);
        Assert.False(File.Exists(target));
        _box.AssertSentinelUntouched();
    }

    [Fact]
    public void WhiteoutCannotBeAParent()
    {
        var tar = new TarBuilder().File(".wh.x/y", "z").Build();
        var e = Refused(tar);
        Assert.Contains("whiteout", e.Message);
    }

    [Fact]
    public void WhiteoutThroughASymlinkIsRefusedInPlainMode()
    {
        // In plain-directory mode a whiteout deletes: through a symlink it would delete outside.
        File.CreateSymbolicLink(Path.Combine(_box.Root, "x"), _box.Outside);
        var tar = new TarBuilder().File("x/.wh.victim", "").Build();
        var e = Refused(tar, new UnpackOptions { OverlayWhiteouts = false });
        Assert.Contains("symbolic link", e.Message);
    }

    [Fact]
    public void OpaqueThroughASymlinkIsRefusedInPlainMode()
    {
        File.CreateSymbolicLink(Path.Combine(_box.Root, "x"), _box.Outside);
        var tar = new TarBuilder().File("x/.wh..wh..opq", "").Build();
        Refused(tar, new UnpackOptions { OverlayWhiteouts = false });
    }

    [Fact]
    public void SparseFilesAreRefused()
    {
        var tar = new MemoryStream([.. RawTar.Pax(("GNU.sparse.major", "1"u8.ToArray()), ("GNU.sparse.minor", "0"u8.ToArray()),
                                                 ("GNU.sparse.name", "s"u8.ToArray()), ("GNU.sparse.realsize", "10"u8.ToArray())),
                                    .. RawTar.Header("GNUSparseFile.0/s", '0', 512), .. new byte[512], .. RawTar.End]);
        var e = Refused(tar);
        Assert.Contains("sparse", e.Message);
    }

    [Fact]
    public void UnknownEntryTypesAreRefused()
    {
        var tar = new MemoryStream([.. RawTar.Header("weird", 'Z'), .. RawTar.End]);
        var e = Refused(tar);
        Assert.Contains("\"weird\"", e.Message);
    }

    [Fact]
    public void OversizedHeaderIsRefused()
    {
        // A pax header of 20 MiB: more header than any layer has.
        byte[] value = new byte[20 << 20];
        value.AsSpan().Fill((byte)'a');
        var tar = new MemoryStream([.. RawTar.Pax(("comment", value)), .. RawTar.Header("f", '0'), .. RawTar.End]);
        Refused(tar);
    }

    [Fact]
    public void NonDirectoryParentIsRefused()
    {
        var tar = new TarBuilder().File("f", "x").File("f/g", "y").Build();
        var e = Refused(tar);
        Assert.Contains("parent \"f\" is not a directory", e.Message);
    }

    [Fact]
    public void TooLongNameComponentIsAFormatError()
    {
        var tar = new TarBuilder().File(new string('n', 300), "x").Build();
        var e = Refused(tar);
        Assert.Contains(new string('n', 300), e.Message);
    }

    [Fact]
    public void ErrorMessagesStayOneLine()
    {
        // GNU long names: TarReader cannot read a pax record whose value holds a newline at all.
        var e = Refused(new TarBuilder(TarEntryFormat.Gnu).File("../evil\nsecond line\x1b[31m", "x").Build());
        Assert.Contains("\"../evil\\x0asecond line\\x1b[31m\"", e.Message);
    }

    [Fact]
    public void AbsurdlyDeepPathsAreRefused()
    {
        string deep = string.Join('/', Enumerable.Repeat("a", 300));
        var e = Refused(new TarBuilder().File(deep, "x").Build());
        Assert.Contains("deeper than 256", e.Message);
        Assert.False(Directory.Exists(Path.Combine(_box.Root, "a")));

        string longName = string.Join('/', Enumerable.Repeat(new string('b', 200), 25));
        Assert.Contains("longer than 4095", Refused(new TarBuilder().File(longName, "x").Build()).Message);
    }

    [Fact]
    public void SymlinkWithNulTargetIsRefused()
    {
        var tar = new MemoryStream([.. RawTar.Pax(("linkpath", Encoding.UTF8.GetBytes("a\0b"))), .. RawTar.Header("s", '2', linkName: "x"), .. RawTar.End]);
        var e = Refused(tar);
        Assert.Contains("NUL", e.Message);
    }
}
