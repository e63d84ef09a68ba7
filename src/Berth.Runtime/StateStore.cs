using System.Globalization;
using System.Text.Json;
using Berth.Oci;

namespace Berth.Runtime;

/// <summary>
/// The runtime's state directory (--root): one folder per container holding state.json, a copy of
/// its config.json and, while it is "created", the exec fifo. Every write is a temp file + rename.
/// </summary>
public sealed partial class StateStore(string root)
{
    public string Root { get; } = root;

    public string DirOf(string id) => Path.Combine(Root, id);
    public string FifoOf(string id) => Path.Combine(Root, id, "exec.fifo");

    public static void CheckId(string id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 1024 || !id.All(IsIdChar) || id is "." or "..")
            throw new RuntimeException($"invalid container id \"{id}\": use letters, digits, '_', '+', '-' and '.'");
    }

    // A regular expression's \w, '+', '-' or '.', without the cost of a Regex's first use on every start.
    private static bool IsIdChar(char c) => c is '+' or '-' or '.' || char.GetUnicodeCategory(c) is
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter or
        UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.NonSpacingMark or
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ConnectorPunctuation;

    /// <summary>Makes the container's folder; fails if the id is taken.</summary>
    public string CreateDir(string id)
    {
        CheckId(id);
        Directory.CreateDirectory(Root);
        string dir = DirOf(id);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(dir)!);
            if (Directory.Exists(dir)) throw new RuntimeException($"container \"{id}\" already exists");
            Directory.CreateDirectory(dir);
        }
        catch (IOException e) { throw new RuntimeException($"container \"{id}\": {e.Message}"); }
        return dir;
    }

    public void Save(ContainerRecord record) =>
        WriteAtomic(Path.Combine(DirOf(record.Id), "state.json"), record.ToJson());

    public void SaveSpec(string id, Spec spec) =>
        WriteAtomic(Path.Combine(DirOf(id), "config.json"), OciJson.Serialize(spec, OciJsonContext.Default.Spec));

    public ContainerRecord Load(string id)
    {
        CheckId(id);
        string file = Path.Combine(DirOf(id), "state.json");
        int errno = Berth.Linux.RawFile.TryReadBytes(file, out byte[] buffer, out int length);
        if (errno is Berth.Linux.Errno.ENOENT or Berth.Linux.Errno.ENOTDIR)
            throw new RuntimeException($"container \"{id}\" does not exist", notFound: true);
        if (errno != 0) throw new Berth.Linux.SyscallException(errno, $"read {file}");
        var bytes = buffer.AsSpan(0, length);
        try { return ContainerRecord.FromJson(bytes); }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new RuntimeException($"container \"{id}\": state.json is damaged: {e.Message}");
        }
    }

    public Spec LoadSpec(string id) => OciJson.ParseSpec(File.ReadAllBytes(Path.Combine(DirOf(id), "config.json")));

    public IEnumerable<string> Ids()
    {
        if (!Directory.Exists(Root)) return [];
        return Directory.EnumerateDirectories(Root).Select(Path.GetFileName)
            .Where(n => n is not null && File.Exists(Path.Combine(Root, n, "state.json"))).Order(StringComparer.Ordinal)!;
    }

    public void Remove(string id)
    {
        string dir = DirOf(id);
        // The files it holds are known: unlink them and the folder, with no directory listing on
        // `run`'s exit path; anything else found there falls back to the recursive delete.
        foreach (string name in (ReadOnlySpan<string>)["state.json", "config.json", "exec.fifo"])
            Berth.Linux.Libc.unlinkat(Berth.Linux.Libc.AT_FDCWD, Path.Combine(dir, name), 0);
        if (Berth.Linux.Libc.rmdir(dir) == 0) return;
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    public static void WriteAtomic(string path, ReadOnlySpan<byte> bytes) => Berth.Linux.RawFile.WriteAtomic(path, bytes);

}

/// <summary>An error of the runtime's own making, printed as one line.</summary>
public sealed class RuntimeException(string message, bool notFound = false) : Exception(message)
{
    public bool NotFound { get; } = notFound;
}
