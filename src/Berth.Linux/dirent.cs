using System.Runtime.InteropServices;
using System.Text;

namespace Berth.Linux;

// <dirent.h>: getdents64(2) (glibc 2.30+ wraps it). struct linux_dirent64 has one layout on every
// architecture: d_ino (u64), d_off (s64), d_reclen (u16), d_type (u8), d_name (NUL-terminated).
public static partial class Libc
{
    public const byte DT_UNKNOWN = 0, DT_FIFO = 1, DT_CHR = 2, DT_DIR = 4, DT_BLK = 6, DT_REG = 8, DT_LNK = 10, DT_SOCK = 12;

    [LibraryImport("libc", SetLastError = true)]
    public static unsafe partial nint getdents64(int fd, byte* dirp, nuint count);

    /// <summary>
    /// Appends the names in the directory open as <paramref name="fd"/> (read from its current offset;
    /// not an O_PATH descriptor), without "." and "..", with their d_type. <paramref name="what"/> names
    /// the directory in errors.
    /// </summary>
    public static unsafe void ReadDirectory(int fd, List<(string Name, byte Type)> into, string what)
    {
        const int BufferSize = 32 * 1024;
        byte* buffer = stackalloc byte[BufferSize];
        while (true)
        {
            nint n = getdents64(fd, buffer, BufferSize);
            if (n < 0)
            {
                if (Marshal.GetLastPInvokeError() == Errno.EINTR) continue;
                Errno.Throw($"getdents64 {what}");
            }
            if (n == 0) return;
            for (nint offset = 0; offset < n;)
            {
                byte* record = buffer + offset;
                ushort reclen = *(ushort*)(record + 16);
                byte type = record[18];
                var name = new ReadOnlySpan<byte>(record + 19, reclen - 19);
                name = name[..name.IndexOf((byte)0)];
                offset += reclen;
                if (name is [(byte)'.'] or [(byte)'.', (byte)'.']) continue;
                into.Add((Encoding.UTF8.GetString(name), type));
            }
        }
    }
}
