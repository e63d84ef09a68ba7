using System.Diagnostics;
using Berth.IntegrationTests.Harness;

namespace Berth.IntegrationTests.ImageCommands;

/// <summary>
/// The fixture images in a real registry (Debian's docker-registry on 127.0.0.1:5055), built by
/// tests/fixtures/setup.sh with umoci and skopeo, and the listings of their root filesystems as
/// umoci unpacks them: the oracle the merged views are compared with. Started once for the
/// collection, stopped at its end; then no mount or folder of the image tests may remain.
/// </summary>
public sealed class ImageFixture : IDisposable
{
    public const string Registry = "127.0.0.1:5055";
    public static string RepoRoot { get; } = FindRepoRoot();
    public static string FixturesDir => Environment.GetEnvironmentVariable("BERTH_FIXTURES") is { Length: > 0 } d ? d : "/var/cache/berth-fixtures";
    public static string Expected(string name) => Path.Combine(FixturesDir, "expected", name + ".tsv");

    // A registry that already ran (a developer's, another suite's) is left running at the end.
    private readonly bool _startedRegistry = Shell(Path.Combine(RepoRoot, "tests/fixtures/registry.sh") + " status plain").ExitCode != 0;

    public ImageFixture()
    {
        var r = Shell(Path.Combine(RepoRoot, "tests/fixtures/setup.sh"), timeoutMs: 30 * 60_000);
        if (r.ExitCode != 0) throw new InvalidOperationException($"tests/fixtures/setup.sh failed: {r}");
    }

    public void Dispose()
    {
        if (_startedRegistry) Shell(Path.Combine(RepoRoot, "tests/fixtures/registry.sh") + " stop plain");
        var left = Leftovers();
        if (left.Count > 0) throw new InvalidOperationException("image tests left behind:\n" + string.Join('\n', left));
    }

    public static List<string> Leftovers()
    {
        var left = File.ReadAllLines("/proc/self/mountinfo").Where(l => l.Contains("berth-img-test")).Select(l => "mount: " + l).ToList();
        left.AddRange(Directory.GetDirectories(Path.GetTempPath(), "berth-img-test-*").Select(d => "folder: " + d));
        return left;
    }

    public static Result Shell(string command, int timeoutMs = 120_000)
    {
        var psi = new ProcessStartInfo("/bin/bash", ["-c", command]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs)) { p.Kill(true); throw new TimeoutException(command); }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    private static string FindRepoRoot()
    {
        string dir = AppContext.BaseDirectory;
        while (dir != "/" && !File.Exists(Path.Combine(dir, "Berth.slnx"))) dir = Path.GetDirectoryName(dir)!;
        return dir;
    }
}

[CollectionDefinition("images")]
public sealed class ImagesCollection : ICollectionFixture<ImageFixture>;

/// <summary>A private image store (--root, --runroot) in a temp folder, removed with everything mounted in it.</summary>
public sealed class TempStore : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("berth-img-test-").FullName;
    public string Root => Path.Combine(Dir, "root");
    public string RunRoot => Path.Combine(Dir, "run");
    public string Driver { get; init; } = "overlay";

    /// <summary>Extra environment for every berth run (e.g. DOCKER_CONFIG).</summary>
    public Dictionary<string, string> Env { get; } = [];

    public Result Berth(params string[] args) => BerthIn(null, args);

    public Result BerthIn(string? stdin, params string[] args) =>
        BerthBinary.Run(["--root", Root, "--runroot", RunRoot, "--storage-driver", Driver, .. args], stdin, timeoutMs: 300_000, env: Env);

    public void Dispose()
    {
        foreach (var line in File.ReadAllLines("/proc/self/mountinfo").Reverse())
        {
            var mountPoint = line.Split(' ')[4];
            if (mountPoint.StartsWith(Dir, StringComparison.Ordinal)) ImageFixture.Shell($"umount -l '{mountPoint}'");
        }
        ImageFixture.Shell($"rm -rf '{Dir}'");
    }
}
