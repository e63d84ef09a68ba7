using System.Runtime.InteropServices;
#pragma warning disable CS8981 // C struct names kept verbatim

namespace Berth.Linux;

public static partial class Libc
{
    public const int AF_UNIX = 1, SOCK_STREAM = 1, SOCK_SEQPACKET = 5, SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1, SCM_RIGHTS = 1, MSG_CMSG_CLOEXEC = 0x40000000;

    [LibraryImport("libc", SetLastError = true)]
    public static unsafe partial int socketpair(int domain, int type, int protocol, int* sv);

    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct iovec
    {
        public void* iov_base;
        public nuint iov_len;
    }

    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct msghdr
    {
        public void* msg_name;
        public uint msg_namelen;
        public iovec* msg_iov;
        public nuint msg_iovlen;
        public void* msg_control;
        public nuint msg_controllen;
        public int msg_flags;
    }

    [LibraryImport("libc", SetLastError = true)]
    public static unsafe partial nint recvmsg(int fd, msghdr* msg, int flags);

    /// <summary>Receives one file descriptor sent with SCM_RIGHTS (a console master, a seccomp listener).</summary>
    public static unsafe int ReceiveFd(int socket, out string name)
    {
        byte* data = stackalloc byte[4096];
        byte* control = stackalloc byte[64];
        var iov = new iovec { iov_base = data, iov_len = 4096 };
        var msg = new msghdr { msg_iov = &iov, msg_iovlen = 1, msg_control = control, msg_controllen = 64 };
        nint n;
        while ((n = recvmsg(socket, &msg, MSG_CMSG_CLOEXEC)) < 0)
            if (Marshal.GetLastPInvokeError() != Errno.EINTR) Errno.Throw("recvmsg");
        name = System.Text.Encoding.UTF8.GetString(data, (int)n);
        // struct cmsghdr { size_t len; int level; int type; } then the data, 8-byte aligned
        if (msg.msg_controllen < 20 || *(int*)(control + 8) != SOL_SOCKET || *(int*)(control + 12) != SCM_RIGHTS)
            throw new SyscallException(Errno.EIO, "recvmsg: no file descriptor in the message");
        return *(int*)(control + 16);
    }
}

public static partial class Libc
{
    [LibraryImport("libc", SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int connect(int fd, byte* addr, uint len);

    /// <summary>A connected AF_UNIX stream socket (close-on-exec) to <paramref name="path"/>.</summary>
    public static unsafe int ConnectUnix(string path)
    {
        byte[] name = System.Text.Encoding.UTF8.GetBytes(path);
        if (name.Length >= 108) throw new SyscallException(36 /* ENAMETOOLONG */, $"connect {path}");
        byte* addr = stackalloc byte[110];
        new Span<byte>(addr, 110).Clear();
        *(ushort*)addr = AF_UNIX;
        name.CopyTo(new Span<byte>(addr + 2, 108));
        int fd = Errno.Check(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
        if (connect(fd, addr, (uint)(2 + name.Length + 1)) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            close(fd);
            throw new SyscallException(errno, $"connect {path}");
        }
        return fd;
    }
}

public static partial class Libc
{
    [LibraryImport("libc", SetLastError = true)]
    public static unsafe partial nint sendmsg(int fd, msghdr* msg, int flags);

    private const int MSG_NOSIGNAL = 0x4000;

    /// <summary>Sends <paramref name="data"/> with one file descriptor attached (SCM_RIGHTS).</summary>
    public static unsafe void SendFd(int socket, int fdToSend, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) data = "\0"u8;
        byte* control = stackalloc byte[24];
        new Span<byte>(control, 24).Clear();
        *(nuint*)control = 20;               // cmsg_len = CMSG_LEN(sizeof(int))
        *(int*)(control + 8) = SOL_SOCKET;
        *(int*)(control + 12) = SCM_RIGHTS;
        *(int*)(control + 16) = fdToSend;
        fixed (byte* p = data)
        {
            var iov = new iovec { iov_base = p, iov_len = (nuint)data.Length };
            var msg = new msghdr { msg_iov = &iov, msg_iovlen = 1, msg_control = control, msg_controllen = 24 };
            nint n;
            while ((n = sendmsg(socket, &msg, MSG_NOSIGNAL)) < 0)
                if (Marshal.GetLastPInvokeError() != Errno.EINTR) Errno.Throw("sendmsg");
            if (n < data.Length) WriteAll(socket, data[(int)n..], "send");
        }
    }
}
