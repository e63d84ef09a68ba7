using System.Runtime.InteropServices;

namespace Berth.Linux;

public static partial class Libc
{
    public const ulong CLONE_NEWTIME = 0x00000080, CLONE_NEWNS = 0x00020000, CLONE_NEWCGROUP = 0x02000000,
        CLONE_NEWUTS = 0x04000000, CLONE_NEWIPC = 0x08000000, CLONE_NEWUSER = 0x10000000,
        CLONE_NEWPID = 0x20000000, CLONE_NEWNET = 0x40000000, CLONE_FS = 0x00000200;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int unshare(int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setns(int fd, int nstype);
}
