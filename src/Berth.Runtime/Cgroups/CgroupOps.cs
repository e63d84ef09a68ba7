using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Berth.Linux;
using Berth.Oci;

namespace Berth.Runtime.Cgroups;

/// <summary>What the v1 and v2 drivers do the same way: writing a batch, creating and removing
/// directory chains, listing and signalling processes.</summary>
internal static class CgroupOps
{
    public const int SIGKILL = Libc.SIGKILL;
    private static readonly TimeSpan RemoveTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Writes in order. A missing file takes the write's fallback, is skipped (IfExists) or is an
    /// error naming the field. Writes flagged RetryAfterBatch that fail with EINVAL are retried once after
    /// the others (the kernel checks each value against the current state: raising memory above the old
    /// memsw limit is refused until memsw is raised, and so on).</summary>
    public static void WriteAll(IEnumerable<(CgroupWrite Write, string Directory)> batch)
    {
        var deferred = new List<(CgroupWrite Write, string Path, string Value)>();
        foreach (var (w, dir) in batch)
        {
            string path = System.IO.Path.Combine(dir, w.File);
            string value = w.Value;
            if (!CgroupFile.Exists(path))
            {
                if (w.FallbackFile is { } fallback && CgroupFile.Exists(System.IO.Path.Combine(dir, fallback)))
                {
                    path = System.IO.Path.Combine(dir, fallback);
                    value = w.FallbackValue ?? w.Value;
                }
                else if (w.IfExists) continue;
                else
                {
                    string alternatives = w.FallbackFile is null ? "" : $" (nor {w.FallbackFile})";
                    throw new SpecException($"{w.Field}: {path} does not exist{alternatives}: the kernel lacks this feature");
                }
            }
            try
            {
                CgroupFile.Write(path, value);
            }
            catch (SyscallException e) when (w.RetryAfterBatch && e.Errno == Errno.EINVAL)
            {
                deferred.Add((w, path, value));
            }
            catch (SyscallException e)
            {
                throw new SyscallException(e.Errno, $"{w.Field}: {e.Operation}");
            }
        }
        foreach (var (w, path, value) in deferred)
        {
            try
            {
                CgroupFile.Write(path, value);
            }
            catch (SyscallException e)
            {
                throw new SyscallException(e.Errno, $"{w.Field}: {e.Operation}");
            }
        }
    }

    /// <summary>mkdir of each level of <paramref name="path"/> below <paramref name="mountPoint"/>; returns the
    /// directories this call created, top first.</summary>
    public static List<string> MakeChain(string mountPoint, string path)
    {
        var created = new List<string>();
        foreach (var level in CgroupPath.Chain(path))
        {
            string dir = DirectoryOf(mountPoint, level);
            if (CgroupFile.MakeDirectory(dir)) created.Add(dir);
        }
        return created;
    }

    public static string DirectoryOf(string mountPoint, string path) => mountPoint.TrimEnd('/') + path;

    /// <summary>Refuses a leaf outside /berth that already exists: Berth would be writing limits into a
    /// cgroup someone else owns (possibly the one the caller itself runs in).</summary>
    public static void RefuseForeignLeaf(string path, string directory)
    {
        if (!CgroupPath.IsUnderBerth(path) && Directory.Exists(directory))
            throw new SpecException($"linux.cgroupsPath: \"{path}\": {directory} already exists; outside {CgroupPath.BerthRoot} Berth only uses cgroups it creates");
    }

    /// <summary>Whether Berth may write into / remove the cgroup at hierarchy path <paramref name="level"/>:
    /// /berth and everything under it, or a directory this manager created.</summary>
    public static bool IsBerths(string level, string directory, IReadOnlyCollection<string> created)
        => level == CgroupPath.BerthRoot || CgroupPath.IsUnderBerth(level) || created.Contains(directory);

    /// <summary>Whether Destroy may remove the leaf: after Create in this instance, if Create made it or it
    /// is in Berth's subtree; for a re-opened manager (no Create), if the caller says Berth owns it.</summary>
    public static bool MayRemoveLeaf(string path, string leafDirectory, bool createCalled, bool ownsLeaf, IReadOnlyCollection<string> created)
        => createCalled ? created.Contains(leafDirectory) || CgroupPath.IsUnderBerth(path) : ownsLeaf;

    /// <summary>Removes the leaf (depth first, with any cgroups created inside it), then the empty parents
    /// that are Berth's, /berth itself excepted. EBUSY on the leaf is retried for a few seconds (exiting processes); EBUSY or
    /// ENOTEMPTY on a parent means other cgroups live there and ends the walk up.</summary>
    public static void RemoveChain(string mountPoint, string path, bool removeLeaf, IReadOnlyCollection<string> created, List<Exception> errors)
    {
        string leaf = DirectoryOf(mountPoint, path);
        if (removeLeaf)
        {
            try
            {
                RemoveTree(leaf);
            }
            catch (SyscallException e)
            {
                errors.Add(e);
                return;
            }
        }
        else return;

        var chain = CgroupPath.Chain(path);
        for (int i = chain.Count - 2; i >= 0; i--)
        {
            string dir = DirectoryOf(mountPoint, chain[i]);
            if (!IsBerths(chain[i], dir, created)) return;
            // /berth itself stays, the engine's root as /docker is Docker's: making a first-level
            // cgroup costs milliseconds (a v1 cpuset mkdir at the top waits for an RCU grace period).
            if (chain[i] == CgroupPath.BerthRoot) return;
            int errno = CgroupFile.TryRemoveDirectory(dir);
            if (errno is 0 or Errno.ENOENT) continue;
            if (errno is Errno.EBUSY or Errno.ENOTEMPTY) return;
            errors.Add(new SyscallException(errno, $"rmdir {dir}"));
            return;
        }
    }

    private static void RemoveTree(string dir)
    {
        if (!Directory.Exists(dir)) return;
        foreach (var child in Directory.GetDirectories(dir)) RemoveTree(child);
        var watch = Stopwatch.StartNew();
        while (true)
        {
            int errno = CgroupFile.TryRemoveDirectory(dir);
            if (errno is 0 or Errno.ENOENT) return;
            if (errno != Errno.EBUSY || watch.Elapsed > RemoveTimeout)
            {
                string detail = errno == Errno.EBUSY ? $" (still busy after {RemoveTimeout.TotalSeconds:0} s; processes: {string.Join(',', ReadPids(dir, recursive: false))})" : "";
                throw new SyscallException(errno, $"rmdir {dir}{detail}");
            }
            Thread.Sleep(10);
        }
    }

    public static List<int> ReadPids(string dir, bool recursive)
    {
        var pids = new List<int>();
        Collect(dir);
        return pids;

        void Collect(string d)
        {
            if (CgroupFile.TryRead(System.IO.Path.Combine(d, "cgroup.procs")) is not { } text) return;
            foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) pids.Add(pid);
            if (!recursive) return;
            string[] children;
            try { children = Directory.GetDirectories(d); }
            catch (DirectoryNotFoundException) { return; }
            foreach (var child in children) Collect(child);
        }
    }

    /// <summary>kill(2) each pid; a process that has exited meanwhile (ESRCH) is not an error.</summary>
    public static void Signal(IEnumerable<int> pids, int signal)
    {
        foreach (int pid in pids)
        {
            if (Libc.kill(pid, signal) == 0) continue;
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.ESRCH) throw new SyscallException(errno, $"kill({pid}, {signal})");
        }
    }

    /// <summary>Polls until <paramref name="done"/> or the timeout; returns whether it got there.</summary>
    public static bool WaitUntil(Func<bool> done, TimeSpan timeout, Action? everyTenth = null)
    {
        var watch = Stopwatch.StartNew();
        for (int i = 1; ; i++)
        {
            if (done()) return true;
            if (watch.Elapsed > timeout) return false;
            if (i % 10 == 0) everyTenth?.Invoke();
            Thread.Sleep(i < 20 ? 1 : 10);
        }
    }

    public static void ThrowAll(List<Exception> errors, string what)
    {
        if (errors.Count == 1) throw errors[0];
        if (errors.Count > 1) throw new AggregateException(what, errors);
    }
}
