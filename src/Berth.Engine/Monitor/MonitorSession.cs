using System.Text;
using Berth.Linux;

namespace Berth.Engine.Monitor;

/// <summary>
/// One client's session with a container's monitor, over an AF_UNIX SOCK_SEQPACKET socket (one
/// message per send). The client hands the monitor its own output descriptors, so the monitor
/// writes the container's output straight to the client's terminal or pipe; the monitor hands back
/// the container's input (the pty master, or the write end of its stdin pipe), so the client writes
/// input straight in. Nothing is relayed byte by byte, and a session ends when either side closes.
///
/// Client → monitor: "A" + flags ('o' stdout, 'e' stderr, 'i' stdin) with the output fds attached;
///   "E" (the client's stdin ended); "D" (detach).
/// Monitor → client: "S" + pid (started); "F" + code + "\t" + message (could not start); "I" with the
///   input fd attached; "R" (restarting); "X" + code (the container exited for good, cleanup done).
/// </summary>
public sealed class MonitorSession : IDisposable
{
    public int Fd { get; private set; }

    public MonitorSession(int fd) => Fd = fd;

    /// <summary>A session for a monitor about to be spawned: the client's end, and the monitor's end to hand it.</summary>
    public static (MonitorSession Client, int MonitorEnd) CreatePair()
    {
        var (a, b) = Libc.SocketPair(Libc.SOCK_SEQPACKET);
        return (new MonitorSession(a), b);
    }

    /// <summary>Connects to a running monitor's attach socket.</summary>
    public static MonitorSession Connect(string socketPath) => new(Libc.ConnectUnix(socketPath, Libc.SOCK_SEQPACKET));

    public void Attach(int stdoutFd, int stderrFd, bool stdin)
    {
        var flags = new StringBuilder("A");
        var fds = new List<int>();
        if (stdoutFd >= 0) { flags.Append('o'); fds.Add(stdoutFd); }
        if (stderrFd >= 0) { flags.Append('e'); fds.Add(stderrFd); }
        if (stdin) flags.Append('i');
        Libc.SendWithFds(Fd, Encoding.ASCII.GetBytes(flags.ToString()), fds.ToArray());
    }

    public void StdinEnded() => Libc.SendWithFds(Fd, "E"u8, []);

    public void Detach() => Libc.SendWithFds(Fd, "D"u8, []);

    public enum Kind { Started, Failed, Input, Restarting, Exited, Closed }

    public readonly record struct Event(Kind Kind, int Code, string Message, int Fd);

    /// <summary>Blocks for the monitor's next message; Closed when the monitor went away.</summary>
    public Event Next()
    {
        Span<byte> buffer = stackalloc byte[4096];
        Span<int> fds = stackalloc int[2];
        int n = Libc.ReceiveWithFds(Fd, buffer, fds, out int fdCount);
        if (n <= 0) return new Event(Kind.Closed, 0, "", -1);
        string text = Encoding.UTF8.GetString(buffer[1..n]);
        int fd = fdCount > 0 ? fds[0] : -1;
        switch ((char)buffer[0])
        {
            case 'S': return new Event(Kind.Started, int.Parse(text), "", -1);
            case 'I': return new Event(Kind.Input, 0, "", fd);
            case 'R': return new Event(Kind.Restarting, 0, "", -1);
            case 'X': return new Event(Kind.Exited, int.Parse(text), "", -1);
            case 'F':
                int tab = text.IndexOf('\t');
                return new Event(Kind.Failed, int.Parse(text[..tab]), text[(tab + 1)..], -1);
            default: return Next();
        }
    }

    public void Dispose()
    {
        if (Fd >= 0) Libc.close(Fd);
        Fd = -1;
    }
}
