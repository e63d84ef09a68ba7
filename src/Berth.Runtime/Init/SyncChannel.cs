using System.Buffers.Binary;
using System.Text;
using Berth.Linux;

namespace Berth.Runtime.Init;

/// <summary>
/// The runtime ⇄ init stage protocol over a unix stream socket pair. Each message is a 4-byte
/// little-endian length, then "kind\n" and the payload bytes. The runtime sends "config" (the
/// <see cref="InitConfig"/> lines), "spec" (config.json as in the bundle) and "ok" (hooks ran);
/// init sends "hooks" (namespaces and mounts are ready: run prestart/createRuntime), "created"
/// (waiting on the exec fifo), "seccomp" (followed by one byte carrying the seccomp listener fd,
/// SCM_RIGHTS; the runtime answers "ok" once it passed it on) or "error" (one line of text).
/// </summary>
public sealed class SyncChannel(int fd) : IDisposable
{
    public int Fd { get; private set; } = fd;

    public const string Config = "config", Spec = "spec", Seccomp = "seccomp", Ok = "ok", Hooks = "hooks", Created = "created", Error = "error";

    public void Send(string kind, string payload = "") => Send(kind, Encoding.UTF8.GetBytes(payload));

    public unsafe void Send(string kind, ReadOnlySpan<byte> payload)
    {
        byte[] head = Encoding.UTF8.GetBytes(kind + "\n");
        byte[] frame = new byte[4 + head.Length + payload.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, head.Length + payload.Length);
        head.CopyTo(frame, 4);
        payload.CopyTo(frame.AsSpan(4 + head.Length));
        fixed (byte* p = frame)
        {
            int done = 0;
            while (done < frame.Length)
            {
                nint n = Libc.write(Fd, p + done, frame.Length - done);
                if (n < 0)
                {
                    if (System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Errno.EINTR) continue;
                    Errno.Throw("write to sync socket");
                }
                done += (int)n;
            }
        }
    }

    /// <summary>Reads one message with a text payload; null when the peer closed the socket.</summary>
    public (string Kind, string Payload)? Receive()
        => ReceiveBytes() is { } m ? (m.Kind, Encoding.UTF8.GetString(m.Payload)) : null;

    /// <summary>Reads one message; null when the peer closed the socket.</summary>
    public (string Kind, byte[] Payload)? ReceiveBytes()
    {
        Span<byte> header = stackalloc byte[4];
        if (!ReadExactly(header)) return null;
        int length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length is < 0 or > 64 << 20) throw new InvalidDataException($"sync socket: bad message length {length}");
        byte[] body = new byte[length];
        if (!ReadExactly(body)) return null;
        int nl = Array.IndexOf(body, (byte)'\n');
        return nl < 0 ? (Encoding.UTF8.GetString(body), []) : (Encoding.UTF8.GetString(body, 0, nl), body[(nl + 1)..]);
    }

    private unsafe bool ReadExactly(Span<byte> buffer)
    {
        int done = 0;
        fixed (byte* p = buffer)
        {
            while (done < buffer.Length)
            {
                nint n = Libc.read(Fd, p + done, buffer.Length - done);
                if (n < 0)
                {
                    if (System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Errno.EINTR) continue;
                    Errno.Throw("read from sync socket");
                }
                if (n == 0)
                {
                    if (done == 0) return false;
                    throw new InvalidDataException("sync socket: message cut short");
                }
                done += (int)n;
            }
        }
        return true;
    }

    public void Dispose()
    {
        if (Fd >= 0) Libc.close(Fd);
        Fd = -1;
    }
}
