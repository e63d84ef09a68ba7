using System.Text.Json;
using Berth.Engine.Model;
using Berth.Linux;

namespace Berth.Engine.Containers;

/// <summary>A container the user named that does not exist (docker's "No such container").</summary>
public sealed class NoSuchContainerException(string reference) : Exception($"No such container: {reference}");

/// <summary>
/// Where containers live. Under the root: containers/ID/ (config.v2.json, lock, the json-file log,
/// hostname, hosts, resolv.conf, the overlay's upper and work dirs) and container-names/NAME, a
/// symlink to the id that makes a name unique by the kernel's own O_EXCL. Under the run root:
/// containers/ID/ (the OCI bundle, the rootfs mount point, the monitor's socket) and the OCI
/// runtime's state.
/// </summary>
public sealed class ContainerStore
{
    public string Root { get; }
    public string RunRoot { get; }
    private readonly string _names;

    public ContainerStore(string root, string runRoot)
    {
        Root = Path.Combine(root, "containers");
        RunRoot = Path.Combine(runRoot, "containers");
        _names = Path.Combine(root, "container-names");
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(_names);
    }

    public string DirOf(string id) => Path.Combine(Root, id);
    public string RunDirOf(string id) => Path.Combine(RunRoot, id);
    public string RuntimeRoot => Path.Combine(RunRoot, ".runtime");
    private string ConfigPath(string id) => Path.Combine(DirOf(id), "config.v2.json");

    /// <summary>The container's lock: every read-modify-write of its config holds it.</summary>
    public FileLock Lock(string id) => FileLock.Acquire(Path.Combine(DirOf(id), "lock"));

    public IEnumerable<string> Ids() =>
        Directory.EnumerateDirectories(Root).Select(Path.GetFileName).Where(n => n is { Length: 64 } && File.Exists(ConfigPath(n))).Cast<string>();

    /// <summary>The serializer metadata for reading and writing the container's document.</summary>
    public DroppableJsonContext<EngineJson> ReadJson { get; } = new(EngineJson.Default, o => new EngineJson(o));
    public DroppableJsonContext<EngineWriteJson> WriteJson { get; } = new(EngineWriteJson.Default, o => new EngineWriteJson(o));

    private EngineJson ReadContext => ReadJson.Context;

    /// <summary>Builds the reading metadata ahead of the first real read.</summary>
    public void PrepareReading() => JsonSerializer.Deserialize("{}"u8, ReadContext.Container);

    public Container Load(string id)
    {
        int errno = RawFile.TryReadBytes(ConfigPath(id), out byte[] buffer, out int used);
        if (errno is Errno.ENOENT or Errno.ENOTDIR) throw new NoSuchContainerException(id);
        if (errno != 0) throw new SyscallException(errno, $"read {ConfigPath(id)}");
        return JsonSerializer.Deserialize(buffer.AsSpan(0, used), ReadContext.Container)
            ?? throw new InvalidDataException($"{ConfigPath(id)}: empty");
    }

    public Container? TryLoad(string id)
    {
        try { return Load(id); }
        catch (NoSuchContainerException) { return null; }
    }

    public void Save(Container c) =>
        RawFile.WriteAtomic(ConfigPath(c.Id), JsonSerializer.SerializeToUtf8Bytes(c, WriteJson.Context.Container));

    /// <summary>Loads, changes and saves under the container's lock; returns the saved container.</summary>
    public Container Update(string id, Action<Container> change)
    {
        using var _ = Lock(id);
        var c = Load(id);
        change(c);
        Save(c);
        return c;
    }

    /// <summary>Moves a container's folder out of the store in one rename; returns where it went, for deleting.</summary>
    public string Discard(string id)
    {
        string trash = Path.Combine(Root, ".removed-" + id);
        Directory.Move(DirOf(id), trash);
        return trash;
    }

    /// <summary>Deletes what removals left (a remover killed between its rename and its delete).</summary>
    public void DeleteDiscarded()
    {
        foreach (var dir in Directory.EnumerateDirectories(Root, ".removed-*"))
            Berth.Images.Snapshots.SnapshotStore.RemoveTree(dir);
    }

    /// <summary>Claims a name for an id; false if another container has it.</summary>
    public bool ClaimName(string name, string id)
    {
        if (Libc.symlink(id, Path.Combine(_names, name)) == 0) return true;
        int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        if (errno == Errno.EEXIST)
        {
            // A name whose container is gone (a crash between the two steps of rm) is free again.
            string? owner = IdOfName(name);
            if (owner is not null && owner != id && !Directory.Exists(DirOf(owner)))
            {
                File.Delete(Path.Combine(_names, name));
                return ClaimName(name, id);
            }
            return owner == id;
        }
        throw new SyscallException(errno, $"symlink {name}");
    }

    public void ReleaseName(string name, string id)
    {
        if (IdOfName(name) == id) File.Delete(Path.Combine(_names, name));
    }

    public string? IdOfName(string name)
    {
        try { return new FileInfo(Path.Combine(_names, name)).LinkTarget; }
        catch (IOException) { return null; }
    }

    /// <summary>docker's lookup: full id, then exact name, then a unique id prefix.</summary>
    public string Resolve(string reference)
    {
        if (reference.Length == 0) throw new NoSuchContainerException(reference);
        string name = reference.TrimStart('/');
        if (reference.Length == 64 && File.Exists(ConfigPath(reference))) return reference;
        if (IsValidName(name) && IdOfName(name) is { } byName && File.Exists(ConfigPath(byName))) return byName;
        if (reference.All(Uri.IsHexDigit))
        {
            string? found = null;
            foreach (var id in Ids())
            {
                if (!id.StartsWith(reference, StringComparison.Ordinal)) continue;
                if (found is not null) throw new ArgumentException($"multiple IDs found with provided prefix: {reference}");
                found = id;
            }
            if (found is not null) return found;
        }
        throw new NoSuchContainerException(reference);
    }

    /// <summary>docker's rule for names: [a-zA-Z0-9][a-zA-Z0-9_.-]+.</summary>
    public static bool IsValidName(string name) =>
        name.Length >= 2 && char.IsAsciiLetterOrDigit(name[0])
        && name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '_' or '.' or '-');
}
