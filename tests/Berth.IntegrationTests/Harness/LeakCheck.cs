namespace Berth.IntegrationTests.Harness;

/// <summary>
/// Suite-level check, run when the integration collection ends: no mount, cgroup, process or
/// state folder of the tests may be left on the machine.
/// </summary>
public sealed class LeakCheck : IDisposable
{
    public static IReadOnlyList<string> Leftovers()
    {
        var left = new List<string>();
        left.AddRange(File.ReadAllLines("/proc/self/mountinfo").Where(l => l.Contains("berth-test")).Select(l => "mount: " + l));
        foreach (string hierarchy in Directory.Exists("/sys/fs/cgroup") ? Directory.GetDirectories("/sys/fs/cgroup") : [])
        {
            string dir = Path.Combine(hierarchy, "berth");
            if (!Directory.Exists(dir)) continue;
            left.AddRange(Directory.GetDirectories(dir).Where(d => Path.GetFileName(d).StartsWith("bt-", StringComparison.Ordinal)).Select(d => "cgroup: " + d));
        }
        foreach (string proc in Directory.GetDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            try
            {
                string cmd = File.ReadAllText(Path.Combine(proc, "cmdline")).Replace('\0', ' ');
                // The engine tests' containers (in another collection, run in parallel) start under their monitor.
                if (cmd.StartsWith("berth init", StringComparison.Ordinal) && !UnderMonitor(proc)) left.Add($"process {Path.GetFileName(proc)}: {cmd}");
            }
            catch (IOException) { }
        }
        left.AddRange(Directory.GetDirectories(Path.GetTempPath(), "berth-test-*").Select(d => "folder: " + d));
        return left;
    }

    private static bool UnderMonitor(string proc)
    {
        string stat = File.ReadAllText(Path.Combine(proc, "stat"));
        string ppid = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1];
        try { return File.ReadAllText($"/proc/{ppid}/comm").Trim() == "berth-monitor"; }
        catch (IOException) { return false; }
    }

    public void Dispose()
    {
        var left = Leftovers();
        if (left.Count > 0) throw new InvalidOperationException("integration tests left behind:\n" + string.Join('\n', left));
    }
}

[CollectionDefinition("runtime")]
public sealed class RuntimeCollection : ICollectionFixture<LeakCheck>;
