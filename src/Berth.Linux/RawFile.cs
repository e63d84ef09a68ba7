using System.Runtime.InteropServices;
using System.Text;

namespace Berth.Linux;

/// <summary>
/// Whole-file reads and writes as bare open/read/write/close. On the container start path the
/// files are tiny (cgroupfs, procfs) and System.IO's FileStream costs more than the I/O: an fstat,
/// a flock for FileShare emulation, buffers. Each call returns errno (0 on success).
/// </summary>
public static unsafe class RawFile
{
    public static int TryReadText(string path, out string text)
    {
        int errno = TryReadBytes(path, out byte[] bytes, out int length);
        text = errno == 0 ? Encoding.UTF8.GetString(bytes, 0, length) : "";
        return errno;
    }

    public static int TryReadBytes(string path, out byte[] buffer, out int used)
    {
        buffer = [];
        used = 0;
        int fd = Libc.open(path, Libc.O_RDONLY | Libc.O_CLOEXEC);
        if (fd < 0) return Marshal.GetLastPInvokeError();
        try
        {
            buffer = new byte[4096];
            while (true)
            {
                if (used == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                nint n;
                fixed (byte* p = &buffer[used]) n = Libc.read(fd, p, buffer.Length - used);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.EINTR) continue;
                    return errno;
                }
                if (n == 0) break;
                used += (int)n;
            }
            return 0;
        }
        finally { Libc.close(fd); }
    }

    /// <summary>One open (no O_CREAT), one write(2) of all of <paramref name="data"/>, close: cgroupfs parses each write on its own.</summary>
    public static int TryWrite(string path, ReadOnlySpan<byte> data)
    {
        int fd = Libc.open(path, Libc.O_WRONLY | Libc.O_CLOEXEC);
        if (fd < 0) return Marshal.GetLastPInvokeError();
        try
        {
            nint n;
            do
            {
                fixed (byte* p = data) n = Libc.write(fd, p, data.Length);
            } while (n < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR);
            if (n < 0) return Marshal.GetLastPInvokeError();
            return n == data.Length ? 0 : Errno.EIO;
        }
        finally { Libc.close(fd); }
    }

    public static bool Exists(string path) => Libc.access(path, 0 /* F_OK */) == 0;

    /// <summary>Writes <paramref name="data"/> to a temp file beside <paramref name="path"/> and renames it over: readers see the old or the new file, never half of one.</summary>
    public static void WriteAtomic(string path, ReadOnlySpan<byte> data)
    {
        string tmp = path + ".tmp";
        int fd = Libc.open(tmp, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_TRUNC | Libc.O_CLOEXEC, 0x1A4 /* 0644 */);
        if (fd < 0) Errno.Throw($"open {tmp}");
        try { Libc.WriteAll(fd, data, $"write {tmp}"); }
        finally { Libc.close(fd); }
        if (Libc.rename(tmp, path) < 0) Errno.Throw($"rename {tmp} to {path}");
    }
}

public static partial class Libc
{
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mkdir(string path, uint mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rmdir(string path);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rename(string oldpath, string newpath);
}
