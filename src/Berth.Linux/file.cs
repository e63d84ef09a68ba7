using System.Runtime.InteropServices;

namespace Berth.Linux;

// <sys/file.h>: flock(2).
public static partial class Libc
{
    public const int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int flock(int fd, int operation);
}

/// <summary>
/// A flock on a lock file (exclusive unless asked for shared), held until disposed. Blocks until the lock is free. The lock
/// belongs to the open file description, so two holders in one process exclude each other too; the
/// kernel drops it when the holder dies, so a killed process never leaves a stale lock.
/// </summary>
public sealed class FileLock : IDisposable
{
    private int _fd;

    private FileLock(int fd) => _fd = fd;

    public static FileLock Acquire(string path) => Acquire(path, Libc.LOCK_EX);

    /// <summary>A shared lock: many holders at once, none while someone holds it exclusive.</summary>
    public static FileLock AcquireShared(string path) => Acquire(path, Libc.LOCK_SH);

    /// <summary>The exclusive lock if it is free right now, else null.</summary>
    public static FileLock? TryAcquire(string path)
    {
        int fd = Libc.open(path, Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC, 0x180 /* 0600 */);
        if (fd < 0) Errno.Throw($"open lock {path}");
        if (Libc.flock(fd, Libc.LOCK_EX | Libc.LOCK_NB) == 0) return new FileLock(fd);
        Libc.close(fd);
        return null;
    }

    private static FileLock Acquire(string path, int operation)
    {
        int fd = Libc.open(path, Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC, 0x180 /* 0600 */);
        if (fd < 0) Errno.Throw($"open lock {path}");
        while (Libc.flock(fd, operation) < 0)
        {
            if (Marshal.GetLastPInvokeError() == Errno.EINTR) continue;
            int errno = Marshal.GetLastPInvokeError();
            Libc.close(fd);
            throw new SyscallException(errno, $"flock {path}");
        }
        return new FileLock(fd);
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) Libc.close(fd);
    }
}
