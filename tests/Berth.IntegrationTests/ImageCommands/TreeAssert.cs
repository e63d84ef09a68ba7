namespace Berth.IntegrationTests.ImageCommands;

/// <summary>Compares a root filesystem with a fixture's expected listing (tests/fixtures/list-tree.sh format).</summary>
public static class TreeAssert
{
    public static void SameAsExpected(string root, string expectedName)
    {
        string script = Path.Combine(ImageFixture.RepoRoot, "tests/fixtures/list-tree.sh");
        var r = ImageFixture.Shell($"'{script}' '{root}'");
        Assert.True(r.ExitCode == 0, r.ToString());
        var want = Normalize(File.ReadAllLines(ImageFixture.Expected(expectedName)));
        var have = Normalize(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(want.Count > 3, $"expected listing {expectedName} is nearly empty");
        var missing = want.Except(have).Take(20).ToList();
        var extra = have.Except(want).Take(20).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"merged view of {expectedName} differs from umoci's:\n missing/different:\n  {string.Join("\n  ", missing)}\n extra/different:\n  {string.Join("\n  ", extra)}");

        string xattrsFile = Path.Combine(ImageFixture.FixturesDir, "expected", expectedName + ".xattrs.tsv");
        if (File.Exists(xattrsFile))
        {
            var x = ImageFixture.Shell($"'{script}' --xattrs '{root}'");
            Assert.True(x.ExitCode == 0, x.ToString());
            var wantX = File.ReadAllLines(xattrsFile).Where(l => l.Length > 0).ToHashSet();
            var haveX = x.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
            Assert.True(wantX.SetEquals(haveX), $"xattrs of {expectedName} differ:\n want: {string.Join("; ", wantX.Except(haveX))}\n have: {string.Join("; ", haveX.Except(wantX))}");
        }
    }

    // Directory mtimes legitimately differ between unpackers (adding entries touches them): drop
    // them; keep every other column, the mtimes of files and links included.
    private static HashSet<string> Normalize(IEnumerable<string> lines) => lines
        .Where(l => l.Length > 0)
        .Select(l => l.Split('\t'))
        .Select(f => f.Length >= 10 && f[1] == "d" ? string.Join('\t', f[..9]) : string.Join('\t', f))
        .ToHashSet();
}
