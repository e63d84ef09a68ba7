using System.Buffers.Binary;
using System.Formats.Tar;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Berth.Linux;

namespace Berth.UnitTests.Images;

/// <summary>
/// A temporary directory laid out as a sentinel around the unpack root:
/// base/root (where layers go), base/outside/victim (what an escape would hit), base/outside/dir/.
/// <see cref="AssertSentinelUntouched"/> checks that everything in base but root is as it was.
/// Dispose unmounts what the test mounted and deletes the lot.
/// </summary>
public sealed class LayerSandbox : IDisposable
{
    public string Base { get; }
    public string Root { get; }
    public string Outside { get; }
    public string Victim { get; }
    private readonly Dictionary<string, string> _sentinel;
    private readonly List<string> _mounts = [];
    private readonly HashSet<string> _owned = ["root"];

    public LayerSandbox()
    {
        Base = Directory.CreateTempSubdirectory("berth-layers-").FullName;
        Root = Path.Combine(Base, "root");
        Outside = Path.Combine(Base, "outside");
        Victim = Path.Combine(Outside, "victim");
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Path.Combine(Outside, "dir"));
        File.WriteAllText(Victim, "original");
        _sentinel = SnapshotOutsideRoot();
    }

    /// <summary>A directory beside the root (created), left out of the sentinel check.</summary>
    public string Dir(string name)
    {
        string path = Child(name);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>A path beside the root (not created), left out of the sentinel check.</summary>
    public string Child(string name)
    {
        _owned.Add(name);
        return Path.Combine(Base, name);
    }

    public void Mount(string source, string target, string fstype, ulong flags, string data)
    {
        Libc.Mount(source, target, fstype, flags, data);
        _mounts.Add(target);
    }

    public void AssertSentinelUntouched()
    {
        var now = SnapshotOutsideRoot();
        Assert.Equal(_sentinel, now);
        Assert.Equal("original", File.ReadAllText(Victim));
    }

    private Dictionary<string, string> SnapshotOutsideRoot()
    {
        // Everything in base but the root and the test's own directories; the base directory itself
        // only by the names in it (its mtime changes as the test adds its directories).
        var all = Tree.Snapshot(Base, withTimes: true);
        return all.Where(kv => kv.Key.Length > 0 && !_owned.Contains(kv.Key.Split('/')[0]))
                  .ToDictionary(kv => kv.Key, kv => kv.Value);
    }

    public void Dispose()
    {
        for (int i = _mounts.Count - 1; i >= 0; i--) Libc.umount2(_mounts[i], Libc.MNT_DETACH);
        Directory.Delete(Base, recursive: true);
    }
}

/// <summary>A canonical description of every file in a tree, by relative path, for comparing trees.</summary>
public static class Tree
{
    public static Dictionary<string, string> Snapshot(string dir, bool withTimes = true, bool withLinkGroups = true, bool dirTimes = true)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var inodes = new Dictionary<(uint, uint, ulong), string>();
        Walk(dir, "", result, inodes, withTimes, withLinkGroups, dirTimes);
        return result;
    }

    private static void Walk(string abs, string rel, Dictionary<string, string> into, Dictionary<(uint, uint, ulong), string> inodes,
                             bool withTimes, bool withLinkGroups, bool dirTimes)
    {
        var st = Stat(abs);
        var sb = new StringBuilder();
        uint type = st.Type;
        sb.Append(type switch
        {
            Libc.S_IFDIR => "dir", Libc.S_IFREG => "file", Libc.S_IFLNK => "symlink", Libc.S_IFCHR => "chr",
            Libc.S_IFBLK => "blk", Libc.S_IFIFO => "fifo", _ => "other",
        });
        sb.Append(CultureInfo.InvariantCulture, $" mode={Convert.ToString(st.Permissions, 8)} owner={st.stx_uid}:{st.stx_gid}");
        if (withTimes && (type != Libc.S_IFDIR || dirTimes)) sb.Append(CultureInfo.InvariantCulture, $" mtime={st.stx_mtime.tv_sec}.{st.stx_mtime.tv_nsec:D9}");
        if (type is Libc.S_IFCHR or Libc.S_IFBLK) sb.Append(CultureInfo.InvariantCulture, $" rdev={st.stx_rdev_major}:{st.stx_rdev_minor}");
        if (type == Libc.S_IFLNK) sb.Append(" -> ").Append(new FileInfo(abs).LinkTarget);
        if (type == Libc.S_IFREG)
            sb.Append(CultureInfo.InvariantCulture, $" size={st.stx_size} sha={Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(abs)))[..16]}");
        foreach (var (name, value) in Xattrs(abs)) sb.Append(CultureInfo.InvariantCulture, $" xattr:{name}={Convert.ToHexStringLower(value)}");
        if (withLinkGroups && type != Libc.S_IFDIR && st.stx_nlink > 1)
        {
            var key = (st.stx_dev_major, st.stx_dev_minor, st.stx_ino);
            if (!inodes.TryAdd(key, rel)) sb.Append(" linked-to=").Append(inodes[key]);
        }
        into[rel] = sb.ToString();
        if (type != Libc.S_IFDIR) return;
        var names = Directory.EnumerateFileSystemEntries(abs).Select(Path.GetFileName).ToList();
        names.Sort(string.CompareOrdinal);
        foreach (string? name in names)
            Walk(Path.Combine(abs, name!), rel.Length == 0 ? name! : rel + "/" + name, into, inodes, withTimes, withLinkGroups, dirTimes);
    }

    public static Libc.Statx Stat(string path)
    {
        Assert.True(Libc.statx(Libc.AT_FDCWD, path, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_BASIC_STATS, out var st) == 0, $"statx {path}");
        return st;
    }

    public static bool Exists(string path) => Libc.statx(Libc.AT_FDCWD, path, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_BASIC_STATS, out _) == 0;

    /// <summary>The extended attributes of a path (not following a symlink), trusted.overlay.* left out.</summary>
    public static unsafe List<(string Name, byte[] Value)> Xattrs(string path, bool includeOverlay = false)
    {
        var result = new List<(string, byte[])>();
        byte* list = stackalloc byte[65536];
        nint n = Libc.llistxattr(path, list, 65536);
        Assert.True(n >= 0, $"llistxattr {path}");
        foreach (string name in Encoding.UTF8.GetString(list, (int)n).Split('\0', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal))
        {
            if (!includeOverlay && name.StartsWith("trusted.overlay.", StringComparison.Ordinal)) continue;
            result.Add((name, GetXattr(path, name)!));
        }
        return result;
    }

    public static unsafe byte[]? GetXattr(string path, string name)
    {
        byte* value = stackalloc byte[65536];
        nint n = Libc.lgetxattr(path, name, value, 65536);
        return n < 0 ? null : new ReadOnlySpan<byte>(value, (int)n).ToArray();
    }

    public static unsafe void SetXattr(string path, string name, byte[] value)
    {
        fixed (byte* p = value) Assert.True(Libc.lsetxattr(path, name, p, (nuint)value.Length, 0) == 0, $"lsetxattr {name} {path}");
    }

    public static unsafe void SetMtime(string path, long seconds, long nanos)
    {
        Libc.Timespec* times = stackalloc Libc.Timespec[2];
        times[0] = new Libc.Timespec(seconds, nanos);
        times[1] = new Libc.Timespec(seconds, nanos);
        Assert.True(Libc.utimensat(Libc.AT_FDCWD, path, times, Libc.AT_SYMLINK_NOFOLLOW) == 0, $"utimensat {path}");
    }

    public static void Chown(string path, uint uid, uint gid) =>
        Assert.True(Libc.fchownat(Libc.AT_FDCWD, path, uid, gid, Libc.AT_SYMLINK_NOFOLLOW) == 0, $"chown {path}");

    public static void Link(string existing, string newPath) =>
        Assert.True(Libc.linkat(Libc.AT_FDCWD, existing, Libc.AT_FDCWD, newPath, 0) == 0, $"link {newPath}");

    public static void Chmod(string path, uint mode) => Assert.True(Libc.fchmodat(Libc.AT_FDCWD, path, mode, 0) == 0, $"chmod {path}");

    public static void Mknod(string path, uint mode, long major, long minor) =>
        Assert.True(Libc.mknod(path, mode, Libc.makedev(major, minor)) == 0, $"mknod {path}");

    public static string Describe(Dictionary<string, string> expected, Dictionary<string, string> actual)
    {
        var sb = new StringBuilder();
        foreach (var key in expected.Keys.Union(actual.Keys).Order(StringComparer.Ordinal))
        {
            expected.TryGetValue(key, out string? e);
            actual.TryGetValue(key, out string? a);
            if (e != a) sb.AppendLine(CultureInfo.InvariantCulture, $"{key}:\n  expected {e ?? "(missing)"}\n  actual   {a ?? "(missing)"}");
        }
        return sb.ToString();
    }

    public static void AssertSame(Dictionary<string, string> expected, Dictionary<string, string> actual)
    {
        string diff = Describe(expected, actual);
        Assert.True(diff.Length == 0, "trees differ:\n" + diff);
    }
}

/// <summary>Builds layer tars in memory with TarWriter, plus raw header blocks for what TarWriter will not write.</summary>
public sealed class TarBuilder
{
    public static readonly DateTimeOffset Time = new(2021, 3, 4, 5, 6, 7, TimeSpan.Zero);
    private readonly MemoryStream _stream = new();
    private readonly TarWriter _writer;
    private readonly TarEntryFormat _format;

    public TarBuilder(TarEntryFormat format = TarEntryFormat.Pax)
    {
        _format = format;
        _writer = new TarWriter(_stream, format, leaveOpen: true);
    }

    private TarEntry New(TarEntryType type, string name) => _format switch
    {
        TarEntryFormat.Gnu => new GnuTarEntry(type, name),
        TarEntryFormat.Ustar => new UstarTarEntry(type, name),
        _ => new PaxTarEntry(type, name),
    };

    private TarEntry NewWithXattrs(TarEntryType type, string name, IDictionary<string, string>? xattrs)
    {
        if (xattrs is null) return New(type, name);
        return new PaxTarEntry(type, name, xattrs.ToDictionary(kv => "SCHILY.xattr." + kv.Key, kv => kv.Value));
    }

    public TarBuilder File(string name, string content, int mode = 0x1A4, int uid = 0, int gid = 0, DateTimeOffset? mtime = null,
                           IDictionary<string, string>? xattrs = null)
    {
        var e = NewWithXattrs(TarEntryType.RegularFile, name, xattrs);
        Fill(e, mode, uid, gid, mtime);
        e.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content));
        _writer.WriteEntry(e);
        return this;
    }

    public TarBuilder Dir(string name, int mode = 0x1ED, int uid = 0, int gid = 0, DateTimeOffset? mtime = null, IDictionary<string, string>? xattrs = null)
    {
        var e = NewWithXattrs(TarEntryType.Directory, name, xattrs);
        Fill(e, mode, uid, gid, mtime);
        _writer.WriteEntry(e);
        return this;
    }

    public TarBuilder Symlink(string name, string target, int uid = 0, int gid = 0, DateTimeOffset? mtime = null)
    {
        var e = New(TarEntryType.SymbolicLink, name);
        Fill(e, 0x1FF, uid, gid, mtime);
        e.LinkName = target;
        _writer.WriteEntry(e);
        return this;
    }

    public TarBuilder HardLink(string name, string target)
    {
        var e = New(TarEntryType.HardLink, name);
        Fill(e, 0x1A4, 0, 0, null);
        e.LinkName = target;
        _writer.WriteEntry(e);
        return this;
    }

    public TarBuilder Device(string name, TarEntryType type, int major, int minor, int mode = 0x1B6, int uid = 0, int gid = 0)
    {
        var e = (PosixTarEntry)New(type, name);
        Fill(e, mode, uid, gid, null);
        if (type != TarEntryType.Fifo) { e.DeviceMajor = major; e.DeviceMinor = minor; }
        _writer.WriteEntry(e);
        return this;
    }

    /// <summary>Raw bytes straight into the archive (headers TarWriter will not produce).</summary>
    public TarBuilder Raw(byte[] bytes)
    {
        _stream.Write(bytes);
        return this;
    }

    private static void Fill(TarEntry e, int mode, int uid, int gid, DateTimeOffset? mtime)
    {
        e.Mode = (UnixFileMode)mode;
        e.Uid = uid;
        e.Gid = gid;
        e.ModificationTime = mtime ?? Time;
    }

    /// <summary>The archive with its end marker.</summary>
    public MemoryStream Build()
    {
        _writer.Dispose();
        return new MemoryStream(_stream.ToArray());
    }

    /// <summary>The archive without an end marker, for appending raw blocks after TarWriter's entries.</summary>
    public byte[] BytesWithoutEnd()
    {
        _writer.Dispose();
        byte[] all = _stream.ToArray();
        return all[..^1024];
    }
}

/// <summary>Hand-made ustar headers, for entries TarWriter refuses to write (huge sizes, NUL in pax paths).</summary>
public static class RawTar
{
    public static byte[] Header(string name, char type, long size = 0, string linkName = "", byte[]? sizeField = null)
    {
        byte[] b = new byte[512];
        Encoding.UTF8.GetBytes(name).AsSpan(0, Math.Min(100, Encoding.UTF8.GetByteCount(name))).CopyTo(b);
        Octal(b.AsSpan(100, 8), 0x1A4);
        Octal(b.AsSpan(108, 8), 0);
        Octal(b.AsSpan(116, 8), 0);
        if (sizeField is not null) sizeField.CopyTo(b.AsSpan(124, 12));
        else Octal(b.AsSpan(124, 12), size);
        Octal(b.AsSpan(136, 12), 1600000000);
        b[156] = (byte)type;
        Encoding.UTF8.GetBytes(linkName).CopyTo(b.AsSpan(157));
        "ustar\0"u8.CopyTo(b.AsSpan(257));
        "00"u8.CopyTo(b.AsSpan(263));
        b.AsSpan(148, 8).Fill((byte)' ');
        int sum = b.Sum(x => x);
        Octal(b.AsSpan(148, 7), sum);
        b[155] = (byte)' ';
        return b;
    }

    /// <summary>A base-256 size field (GNU extension) for sizes octal cannot hold.</summary>
    public static byte[] Base256(long value)
    {
        byte[] field = new byte[12];
        BinaryPrimitives.WriteInt64BigEndian(field.AsSpan(4), value);
        field[0] = 0x80;
        return field;
    }

    /// <summary>A pax 'x' header with the given records, padded.</summary>
    public static byte[] Pax(params (string Key, byte[] Value)[] records)
    {
        var data = new MemoryStream();
        foreach (var (key, value) in records)
        {
            int body = 1 + Encoding.UTF8.GetByteCount(key) + 1 + value.Length + 1;
            int len = body + 1;
            while (len.ToString(CultureInfo.InvariantCulture).Length + body != len) len++;
            data.Write(Encoding.ASCII.GetBytes($"{len} {key}="));
            data.Write(value);
            data.WriteByte((byte)'\n');
        }
        byte[] payload = data.ToArray();
        return [.. Header("PaxHeaders/x", 'x', payload.Length), .. Pad(payload)];
    }

    public static byte[] Pad(byte[] data) => [.. data, .. new byte[(512 - data.Length % 512) % 512]];

    public static byte[] End => new byte[1024];

    private static void Octal(Span<byte> field, long value)
    {
        for (int i = field.Length - 2; i >= 0; i--) { field[i] = (byte)('0' + (value & 7)); value >>= 3; }
    }
}
