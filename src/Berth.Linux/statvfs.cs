using System.Runtime.InteropServices;

namespace Berth.Linux;

public static partial class Libc
{
    /// <summary>struct statvfs (x86_64 glibc layout).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct StatVfs
    {
        public ulong f_bsize, f_frsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_favail, f_fsid, f_flag, f_namemax;
        public fixed int f_spare[6];
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int statvfs(string path, ref StatVfs buf);
}
