using System.Runtime.InteropServices;

namespace Berth.Linux;

public static partial class Libc
{
    public const uint S_IFMT = 0xF000, S_IFIFO = 0x1000, S_IFCHR = 0x2000, S_IFDIR = 0x4000, S_IFBLK = 0x6000,
        S_IFREG = 0x8000, S_IFLNK = 0xA000;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mknod(string path, uint mode, ulong dev);

    [LibraryImport("libc", SetLastError = true)]
    public static partial uint umask(uint mask);

    /// <summary>makedev() as glibc encodes it.</summary>
    public static ulong makedev(long major, long minor)
        => ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8)
         | ((ulong)(minor & 0xffffff00) << 12) | (ulong)(minor & 0xff);
}
