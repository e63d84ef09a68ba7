using System.Runtime.InteropServices;

namespace Berth.Linux;

/// <summary>A failed system call: carries errno and what was being done, on which path.</summary>
public sealed class SyscallException(int errno, string operation)
    : Exception($"{operation}: {Marshal.GetPInvokeErrorMessage(errno)}")
{
    public int Errno { get; } = errno;
    public string Operation { get; } = operation;
}

public static class Errno
{
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, E2BIG = 7, EBADF = 9, ECHILD = 10,
        EAGAIN = 11, ENOMEM = 12, EACCES = 13, EBUSY = 16, EEXIST = 17, EXDEV = 18, ENOTDIR = 20, EISDIR = 21,
        EINVAL = 22, ENOSPC = 28, EROFS = 30, EMLINK = 31, ERANGE = 34, ENAMETOOLONG = 36, ENOSYS = 38,
        ENOTEMPTY = 39, ELOOP = 40, ENODATA = 61, EOPNOTSUPP = 95, EPIPE = 32;

    /// <summary>Throws a <see cref="SyscallException"/> for the errno of the last P/Invoke.</summary>
    public static void Throw(string operation) => throw new SyscallException(Marshal.GetLastPInvokeError(), operation);

    /// <summary>Checks the usual "-1 and errno" convention.</summary>
    public static int Check(int result, string operation)
    {
        if (result < 0) Throw(operation);
        return result;
    }

    public static long Check(long result, string operation)
    {
        if (result < 0) Throw(operation);
        return result;
    }
}
