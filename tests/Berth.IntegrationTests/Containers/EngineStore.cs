using Berth.IntegrationTests.Harness;
using Berth.IntegrationTests.ImageCommands;

namespace Berth.IntegrationTests.Containers;

/// <summary>
/// A private engine store (--root, --runroot under /var/tmp, where creating files is fast here)
/// with the fixture busybox pulled and tagged "busybox". One per test class; at its end every
/// container is removed, and nothing of theirs may remain: no monitor, mount, cgroup or file.
/// </summary>
public sealed class EngineStore : IDisposable
{
    // Under /var/tmp: the default temp folder (/tmp) creates files ~20× slower on this machine.
    public string Dir { get; } = Directory.CreateDirectory("/var/tmp/berth-ctr-test-" + Guid.NewGuid().ToString("N")[..10]).FullName;
    public string Root => Path.Combine(Dir, "root");
    public string RunRoot => Path.Combine(Dir, "run");

    public EngineStore()
    {
        Berth("pull", "-q", ImageFixture.Registry + "/busybox:latest").Ok();
        Berth("tag", ImageFixture.Registry + "/busybox:latest", "busybox").Ok();
    }

    public Result Berth(params string[] args) => BerthIn(null, args);

    public Result BerthIn(string? stdin, params string[] args) =>
        BerthBinary.Run(["--root", Root, "--runroot", RunRoot, .. args], stdin, timeoutMs: 120_000);

    /// <summary>The full id of a container by name.</summary>
    public string IdOf(string name) => Berth("inspect", "-f", "{{.Id}}", name).Ok().Stdout.Trim();

    public string Inspect(string name, string template) => Berth("inspect", "-f", template, name).Ok().Stdout.Trim();

    /// <summary>What this store's containers still hold on the machine.</summary>
    public List<string> Leftovers(IEnumerable<string> ids)
    {
        var left = new List<string>();
        foreach (var line in File.ReadAllLines("/proc/self/mountinfo"))
            if (line.Contains(Dir, StringComparison.Ordinal)) left.Add("mount: " + line);
        foreach (var id in ids)
        {
            foreach (var cg in Directory.GetDirectories("/sys/fs/cgroup"))
                if (Directory.Exists(Path.Combine(cg, "berth", id))) left.Add("cgroup: " + Path.Combine(cg, "berth", id));
            if (Directory.Exists(Path.Combine(Root, "containers", id))) left.Add("folder: " + id);
        }
        foreach (var proc in Directory.GetDirectories("/proc"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(proc, "comm")).Trim() != "berth-monitor") continue;
                if (File.ReadAllText(Path.Combine(proc, "cmdline")).Contains(Dir, StringComparison.Ordinal)) left.Add("monitor: " + proc);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return left;
    }

    public void Dispose()
    {
        var ids = Berth("ps", "-aq", "--no-trunc").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var id in ids) Berth("rm", "-f", "-v", id);
        // A --rm container's monitor reports the exit, then finishes deleting: give it a moment.
        var left = Leftovers(ids);
        for (int i = 0; i < 50 && left.Count > 0; i++)
        {
            Thread.Sleep(100);
            left = Leftovers(ids);
        }
        foreach (var line in File.ReadAllLines("/proc/self/mountinfo").Reverse())
        {
            var mountPoint = line.Split(' ')[4];
            if (mountPoint.StartsWith(Dir, StringComparison.Ordinal)) ImageFixture.Shell($"umount -l '{mountPoint}'");
        }
        ImageFixture.Shell($"rm -rf '{Dir}'");
        if (left.Count > 0) throw new InvalidOperationException("containers left behind:\n" + string.Join('\n', left));
    }
}
