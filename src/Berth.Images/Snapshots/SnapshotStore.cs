using System.Text;
using System.Text.Json;
using Berth.Images.Content;
using Berth.Images.Store;
using Berth.Linux;

namespace Berth.Images.Snapshots;

/// <summary>
/// Unpacked layers, one directory per layer chain id, shared by every image that has the same
/// layers below and including it.
///
/// Contract:
/// - <c>snapshots/HEX/fs</c> is the layer's own files in overlayfs form (whiteouts are 0/0 character
///   devices, opaque directories carry trusted.overlay.opaque=y); <c>snapshots/HEX/info.json</c>
///   says which diff it is and its parent chain.
/// - A snapshot appears by renaming a finished temporary directory (<c>.tmp-PID-…</c>) into place,
///   so a snapshot that exists is complete. Temporaries of dead processes are removed by
///   <see cref="CleanStale"/>; a lock per chain id keeps two unpackers of one layer from racing.
/// - Snapshots are not counted here: the image index and holders say what is in use, and garbage
///   collection removes the rest.
/// </summary>
public sealed class SnapshotStore
{
    public string Root { get; }

    public SnapshotStore(string root)
    {
        Root = Path.Combine(root, "snapshots");
        if (!Directory.Exists(Root))
        {
            Directory.CreateDirectory(Root);
            SpreadSnapshots();
        }
    }

    /// <summary>
    /// Each snapshot is a tree of its own, as home directories are: marked "top of hierarchies",
    /// ext4 puts each in a block group of its own instead of the snapshot folder's. This matters
    /// where a layer was just removed: on an ext4 without a journal the inode allocator steps over
    /// every inode freed in the last half minute, one by one, so unpacking a layer into the group
    /// that the last prune emptied took 1.9 s instead of 0.6 s here (6,652 files). A hint: other
    /// filesystems ignore it.
    /// </summary>
    public void SpreadSnapshots() => Libc.TryAddInodeFlag(Root, Libc.FS_TOPDIR_FL);

    /// <summary>ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)), per the OCI image spec.</summary>
    public static string[] ChainIds(IReadOnlyList<string> diffIds)
    {
        var chain = new string[diffIds.Count];
        for (int i = 0; i < diffIds.Count; i++)
            chain[i] = i == 0 ? diffIds[0] : Digest.Of(Encoding.ASCII.GetBytes(chain[i - 1] + " " + diffIds[i])).ToString();
        return chain;
    }

    public string DirOf(string chainId) => Path.Combine(Root, Digest.Parse(chainId).Hex);
    public string FsPath(string chainId) => Path.Combine(DirOf(chainId), "fs");
    public bool Has(string chainId) => Directory.Exists(DirOf(chainId));

    public FileLock Lock(string chainId) => FileLock.Acquire(DirOf(chainId) + ".lock");

    /// <summary>A new empty temporary snapshot directory; its <c>fs</c> is where a layer is unpacked.</summary>
    public string CreateTemp()
    {
        string dir = Path.Combine(Root, $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(dir, "fs"));
        return dir;
    }

    /// <summary>Publishes a finished temporary snapshot under its chain id.</summary>
    public void Commit(string tempDir, string chainId, SnapshotInfo info)
    {
        File.WriteAllBytes(Path.Combine(tempDir, "info.json"), JsonSerializer.SerializeToUtf8Bytes(info, StoreJsonContext.Default.SnapshotInfo));
        if (Libc.rename(tempDir, DirOf(chainId)) < 0)
        {
            // Someone else published it first (ENOTEMPTY/EEXIST): theirs is as good as ours.
            if (Has(chainId)) { RemoveTree(tempDir); return; }
            Errno.Throw($"rename {tempDir} to {DirOf(chainId)}");
        }
    }

    public SnapshotInfo? Info(string chainId)
    {
        try { return JsonSerializer.Deserialize(File.ReadAllBytes(Path.Combine(DirOf(chainId), "info.json")), StoreJsonContext.Default.SnapshotInfo); }
        catch (IOException) { return null; }
        catch (JsonException) { return null; }
    }

    public IEnumerable<string> List()
    {
        foreach (var dir in new DirectoryInfo(Root).EnumerateDirectories())
            if (!dir.Name.StartsWith('.') && Digest.TryParse("sha256:" + dir.Name, out var d)) yield return d.ToString();
    }

    /// <summary>Removes a snapshot: renamed aside first, so a half-deleted one is never taken for whole.</summary>
    public void Remove(string chainId)
    {
        string dir = DirOf(chainId);
        if (!Directory.Exists(dir)) return;
        string trash = Path.Combine(Root, $".trash-{Environment.ProcessId}-{Guid.NewGuid():N}");
        if (Libc.rename(dir, trash) < 0) Errno.Throw($"rename {dir} to {trash}");
        RemoveTree(trash);
        File.Delete(dir + ".lock");
    }

    /// <summary>Removes temporaries and trash left by processes that died (e.g. a pull killed with -9).</summary>
    public void CleanStale()
    {
        foreach (var dir in new DirectoryInfo(Root).EnumerateDirectories(".*"))
        {
            string[] parts = dir.Name.Split('-');
            if (parts.Length >= 3 && int.TryParse(parts[1], out int pid) && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
                RemoveTree(dir.FullName);
        }
    }

    public static void RemoveTree(string path)
    {
        try { Directory.Delete(path, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }
}
