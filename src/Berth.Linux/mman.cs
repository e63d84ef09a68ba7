using System.Runtime.InteropServices;

namespace Berth.Linux;

public static partial class Libc
{
    public const int MADV_DONTNEED = 4;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int madvise(nint addr, nuint length, int advice);
}
