using System.Text.Json;
using Berth.Engine.Containers;
using Berth.Linux;

namespace Berth.Engine.Volumes;

/// <summary>
/// Local volumes as docker keeps them: volumes/NAME/_data is what containers mount, volumes/NAME/volume.json
/// the metadata. Names follow container names' rule; an anonymous volume gets a 64-hex name and
/// docker's "com.docker.volume.anonymous" label.
/// </summary>
public sealed class VolumeStore
{
    public const string AnonymousLabel = "com.docker.volume.anonymous";
    private readonly string _root;

    public VolumeStore(string root)
    {
        _root = Path.Combine(root, "volumes");
        Directory.CreateDirectory(_root);
    }

    private string DirOf(string name) => Path.Combine(_root, name);
    private string MetaOf(string name) => Path.Combine(_root, name, "volume.json");
    private FileLock Lock() => FileLock.Acquire(Path.Combine(_root, ".lock"));

    /// <summary>docker volume create: an existing volume of that name is returned as it is.</summary>
    public Volume Create(string? name, IReadOnlyDictionary<string, string>? labels = null, string driver = "local")
    {
        if (driver != "local") throw new ArgumentException($"error looking up volume plugin {driver}: plugin \"{driver}\" not found");
        bool anonymous = name is null;
        name ??= Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        if (!ContainerStore.IsValidName(name))
            throw new ArgumentException($"create {name}: \"{name}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path");
        using var _ = Lock();
        if (TryGet(name) is { } existing) return existing;
        var volume = new Volume
        {
            Name = name, CreatedAt = DateTime.UtcNow, Mountpoint = Path.Combine(DirOf(name), "_data"),
            Labels = labels is null ? [] : new Dictionary<string, string>(labels),
        };
        if (anonymous) volume.Labels[AnonymousLabel] = "";
        Directory.CreateDirectory(volume.Mountpoint);
        RawFile.WriteAtomic(MetaOf(name), JsonSerializer.SerializeToUtf8Bytes(volume, VolumeJson.Default.Volume));
        return volume;
    }

    public Volume? TryGet(string name)
    {
        if (!ContainerStore.IsValidName(name)) return null;
        int errno = RawFile.TryReadBytes(MetaOf(name), out byte[] buffer, out int used);
        if (errno != 0) return null;
        return JsonSerializer.Deserialize(buffer.AsSpan(0, used), VolumeJson.Default.Volume);
    }

    public Volume Get(string name) => TryGet(name) ?? throw new ArgumentException($"get {name}: no such volume");

    public List<Volume> List() =>
        Directory.EnumerateDirectories(_root).Select(d => TryGet(Path.GetFileName(d))).OfType<Volume>().OrderBy(v => v.Name, StringComparer.Ordinal).ToList();

    /// <param name="users">Names of the containers that use the volume; removal refuses while there are any.</param>
    public void Remove(string name, IReadOnlyList<string> users)
    {
        using var _ = Lock();
        if (TryGet(name) is null) throw new ArgumentException($"get {name}: no such volume");
        if (users.Count > 0) throw new InvalidOperationException($"remove {name}: volume is in use - [{string.Join(", ", users)}]");
        Berth.Images.Snapshots.SnapshotStore.RemoveTree(DirOf(name));
    }
}
