using System.Runtime.InteropServices;

namespace Berth.Linux;

public static partial class Libc
{
    public const int WNOHANG = 1;

    [LibraryImport("libc", SetLastError = true)]
    public static unsafe partial int waitpid(int pid, int* status, int options);

    /// <summary>waitpid() retried on EINTR; returns the shell-style exit code (128+signal when killed).</summary>
    public static unsafe int WaitForExit(int pid)
    {
        int status;
        while (waitpid(pid, &status, 0) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR) throw new SyscallException(errno, $"waitpid {pid}");
        }
        return ExitCode(status);
    }

    public static int ExitCode(int status)
        => (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
}
