using System.Globalization;
using System.Text;
using Berth.Linux;

namespace Berth.Runtime.Cgroups;

/// <summary>Reads and writes cgroupfs files and directories. Every failure becomes a
/// <see cref="SyscallException"/> that carries errno, the path and (for writes) the value.</summary>
internal static class CgroupFile
{
    /// <summary>One open, one write of the whole value, one close: cgroupfs parses each write(2) on its own.
    /// No O_CREAT: a missing file is a missing kernel feature, not something to create.</summary>
    public static void Write(string path, string value)
    {
        int errno = RawFile.TryWrite(path, Encoding.UTF8.GetBytes(value));
        if (errno != 0) throw new SyscallException(errno, $"write \"{Printable(value)}\" to {path}");
    }

    public static string Read(string path)
    {
        int errno = RawFile.TryReadText(path, out string text);
        if (errno != 0) throw new SyscallException(errno, $"read {path}");
        return text;
    }

    /// <summary>The file's text, or null when it does not exist (a controller or kernel feature that is absent).</summary>
    public static string? TryRead(string path)
    {
        int errno = RawFile.TryReadText(path, out string text);
        if (errno is Errno.ENOENT or Errno.ENOTDIR) return null;
        if (errno != 0) throw new SyscallException(errno, $"read {path}");
        return text;
    }

    public static bool Exists(string path) => RawFile.Exists(path);

    /// <summary>mkdir(2) of one directory; returns false when it already existed.</summary>
    public static bool MakeDirectory(string path)
    {
        if (Libc.mkdir(path, 0x1ED /* 0755 */) == 0) return true;
        int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        if (errno == Errno.EEXIST) return false;
        throw new SyscallException(errno, $"mkdir {path}");
    }

    /// <summary>rmdir(2); returns the errno (0 on success, ENOENT when already gone).</summary>
    public static int TryRemoveDirectory(string path)
        => Libc.rmdir(path) == 0 ? 0 : System.Runtime.InteropServices.Marshal.GetLastPInvokeError();

    /// <summary>Maps the exceptions of System.IO back to the errno the kernel returned. On Unix an
    /// IOException's HResult is the raw errno; the dedicated exception types lose it, so they are
    /// mapped to their usual cause. UnauthorizedAccessException stands for EACCES or EPERM; cgroupfs
    /// refusals to root (device rules a parent forbids, for example) are EPERM, so that is reported.</summary>
    public static int? ToErrno(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => Errno.ENOENT,
        UnauthorizedAccessException => Errno.EPERM,
        PathTooLongException => 36, // ENAMETOOLONG
        IOException io when io.HResult is > 0 and < 4096 => io.HResult,
        IOException => Errno.EIO,
        _ => null,
    };

    public static ulong ParseUInt64(string text, string path)
    {
        text = text.Trim();
        if (text == "max") return ulong.MaxValue;
        if (ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value)) return value;
        // v1 reports "unlimited" as a huge value that may come out negative in some files (-1).
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long signed) && signed < 0) return ulong.MaxValue;
        throw new FormatException($"{path}: expected a number, found \"{Printable(text)}\"");
    }

    public static ulong ReadUInt64(string path) => ParseUInt64(Read(path), path);

    /// <summary>A missing file reads as 0: statistics of a controller or feature the kernel lacks.</summary>
    public static ulong ReadUInt64OrZero(string path) => TryRead(path) is { } text ? ParseUInt64(text, path) : 0;

    /// <summary>Parses "key value" lines (memory.stat, cpu.stat, memory.events, cpuacct.stat …).</summary>
    public static Dictionary<string, ulong> ParseKeyValues(string text)
    {
        var result = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int space = line.IndexOf(' ');
            if (space <= 0) continue;
            if (ulong.TryParse(line.AsSpan(space + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out ulong value))
                result[line[..space]] = value;
        }
        return result;
    }

    public static Dictionary<string, ulong> ReadKeyValues(string path)
        => TryRead(path) is { } text ? ParseKeyValues(text) : new Dictionary<string, ulong>(StringComparer.Ordinal);

    public static string Printable(string value) => value.Replace("\n", "\\n", StringComparison.Ordinal);
}
