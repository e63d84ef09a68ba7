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

// Several descriptors in one message, listening sockets, pidfds: the container monitor's session protocol.
public static partial class Libc
{
    public const int SOCK_NONBLOCK = 0x800;

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int bind(int fd, byte* addr, uint len);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int listen(int fd, int backlog);

    [LibraryImport("libc", SetLastError = true)]
    public static unsafe partial int accept4(int fd, void* addr, void* len, int flags);

    /// <summary>A listening AF_UNIX socket of <paramref name="type"/> (close-on-exec) at <paramref name="path"/>, replacing a stale file.</summary>
    public static unsafe int ListenUnix(string path, int type, int backlog = 16)
    {
        File.Delete(path);
        using var name = new SocketName(path);
        byte* addr = stackalloc byte[110];
        uint length = name.Fill(addr);
        int fd = Errno.Check(socket(AF_UNIX, type | SOCK_CLOEXEC, 0), "socket");
        if (bind(fd, addr, length) < 0 || listen(fd, backlog) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            close(fd);
            throw new SyscallException(errno, $"listen {path}");
        }
        return fd;
    }

    /// <summary>
    /// A sockaddr_un path. Paths of 108 bytes or more (deep state folders) go through
    /// /proc/self/fd/N/NAME of their opened folder, which the kernel resolves like the full path.
    /// </summary>
    private readonly struct SocketName : IDisposable
    {
        private readonly byte[] _bytes;
        private readonly int _dirFd;

        public SocketName(string path)
        {
            _dirFd = -1;
            _bytes = System.Text.Encoding.UTF8.GetBytes(path);
            if (_bytes.Length < 108) return;
            string dir = Path.GetDirectoryName(path) ?? "/";
            _dirFd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
            if (_dirFd < 0) Errno.Throw($"open {dir}");
            _bytes = System.Text.Encoding.UTF8.GetBytes($"/proc/self/fd/{_dirFd}/{Path.GetFileName(path)}");
            if (_bytes.Length >= 108) throw new SyscallException(36 /* ENAMETOOLONG */, $"socket {path}");
        }

        public unsafe uint Fill(byte* addr)
        {
            new Span<byte>(addr, 110).Clear();
            *(ushort*)addr = AF_UNIX;
            _bytes.CopyTo(new Span<byte>(addr + 2, 108));
            return (uint)(2 + _bytes.Length + 1);
        }

        public void Dispose()
        {
            if (_dirFd >= 0) close(_dirFd);
        }
    }

    /// <summary>Connects a socket of <paramref name="type"/> to <paramref name="path"/>.</summary>
    public static unsafe int ConnectUnix(string path, int type)
    {
        using var name = new SocketName(path);
        byte* addr = stackalloc byte[110];
        uint length = name.Fill(addr);
        int fd = Errno.Check(socket(AF_UNIX, type | SOCK_CLOEXEC, 0), "socket");
        if (connect(fd, addr, length) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            close(fd);
            throw new SyscallException(errno, $"connect {path}");
        }
        return fd;
    }

    /// <summary>A connected pair of close-on-exec sockets of <paramref name="type"/>.</summary>
    public static unsafe (int A, int B) SocketPair(int type)
    {
        int* sv = stackalloc int[2];
        Errno.Check(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), "socketpair");
        return (sv[0], sv[1]);
    }

    /// <summary>Sends one message with up to 8 descriptors attached; false if the peer is gone.</summary>
    public static unsafe bool SendWithFds(int socket, ReadOnlySpan<byte> data, ReadOnlySpan<int> fds)
    {
        if (data.IsEmpty) data = "\0"u8;
        if (fds.Length > 8) throw new ArgumentOutOfRangeException(nameof(fds));
        int controlLength = fds.Length == 0 ? 0 : 16 + 8 * ((fds.Length * 4 + 7) / 8);
        byte* control = stackalloc byte[16 + 32];
        new Span<byte>(control, 48).Clear();
        if (fds.Length > 0)
        {
            *(nuint*)control = (nuint)(16 + 4 * fds.Length);   // CMSG_LEN(n * sizeof(int))
            *(int*)(control + 8) = SOL_SOCKET;
            *(int*)(control + 12) = SCM_RIGHTS;
            for (int i = 0; i < fds.Length; i++) *(int*)(control + 16 + 4 * i) = fds[i];
        }
        fixed (byte* p = data)
        {
            var iov = new iovec { iov_base = p, iov_len = (nuint)data.Length };
            var msg = new msghdr { msg_iov = &iov, msg_iovlen = 1, msg_control = fds.Length > 0 ? control : null, msg_controllen = (nuint)controlLength };
            while (sendmsg(socket, &msg, MSG_NOSIGNAL) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR) continue;
                if (errno is Errno.EPIPE or 104 /* ECONNRESET */ or 107 /* ENOTCONN */) return false;
                throw new SyscallException(errno, "sendmsg");
            }
        }
        return true;
    }

    /// <summary>Receives one message and the descriptors attached to it (close-on-exec); 0 at end of stream.</summary>
    public static unsafe int ReceiveWithFds(int socket, Span<byte> buffer, Span<int> fds, out int fdCount)
    {
        fdCount = 0;
        byte* control = stackalloc byte[16 + 32];
        fixed (byte* p = buffer)
        {
            var iov = new iovec { iov_base = p, iov_len = (nuint)buffer.Length };
            var msg = new msghdr { msg_iov = &iov, msg_iovlen = 1, msg_control = control, msg_controllen = 48 };
            nint n;
            while ((n = recvmsg(socket, &msg, MSG_CMSG_CLOEXEC)) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR) continue;
                if (errno == 104 /* ECONNRESET */) return 0;
                throw new SyscallException(errno, "recvmsg");
            }
            if (msg.msg_controllen >= 16 && *(int*)(control + 8) == SOL_SOCKET && *(int*)(control + 12) == SCM_RIGHTS)
            {
                int count = (int)((*(nuint*)control - 16) / 4);
                for (int i = 0; i < count; i++)
                {
                    int fd = *(int*)(control + 16 + 4 * i);
                    if (i < fds.Length) fds[fdCount++] = fd;
                    else close(fd);
                }
            }
            return (int)n;
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial long syscall(long number, int pid, uint flags);

    /// <summary>pidfd_open(2): a descriptor that polls readable when the process exits.</summary>
    public static int PidfdOpen(int pid) => (int)syscall(434 /* SYS_pidfd_open */, pid, 0);
}
