using Berth.Images.Content;
using Berth.Images.Snapshots;
using Berth.Linux;

namespace Berth.Images.Store;

/// <summary>
/// Berth's image storage under one root (default /var/lib/berth): the content store, the layer
/// snapshots and the image index; plus a run root (default /run/berth) for what does not survive a
/// reboot, such as mounts.
/// </summary>
public sealed class ImageStorage
{
    public const string DefaultRoot = "/var/lib/berth";
    public const string DefaultRunRoot = "/run/berth";

    public string Root { get; }
    public string RunRoot { get; }
    public ContentStore Content { get; }
    public SnapshotStore Snapshots { get; }
    public ImageIndex Index { get; }
    /// <summary>"overlay", or "vfs" for plain copies where overlayfs cannot serve.</summary>
    public string Driver { get; }

    public ImageStorage(string root, string runRoot, string driver = "overlay")
    {
        if (driver is not ("overlay" or "vfs")) throw new ArgumentException($"unknown storage driver \"{driver}\" (want overlay or vfs)");
        Root = Path.GetFullPath(root);
        RunRoot = Path.GetFullPath(runRoot);
        Driver = driver;
        Directory.CreateDirectory(Root);
        Content = new ContentStore(Path.Combine(Root, "content"));
        Snapshots = new SnapshotStore(Root);
        Index = new ImageIndex(Root);
        Holds = new Holds(Path.Combine(Root, "holds"));
    }

    /// <summary>
    /// Pulls, loads and imports hold this shared while they store layers not yet named by any image;
    /// garbage collection takes it exclusive, so it never removes what one of them is about to record.
    /// </summary>
    public FileLock LockAgainstCollection() => FileLock.AcquireShared(Path.Combine(Root, "gc.lock"));
    public FileLock LockForCollection() => FileLock.Acquire(Path.Combine(Root, "gc.lock"));

    /// <summary>Holders of images (mounts now, containers later): an image with a holder is in use.</summary>
    public Holds Holds { get; }
}
