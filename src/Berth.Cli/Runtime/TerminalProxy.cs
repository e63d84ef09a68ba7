using Berth.Linux;

namespace Berth.Cli.Runtime;

/// <summary>
/// For `run`/`exec` with process.terminal and no --console-socket: the runtime itself receives
/// the pty master and copies between it and its own stdin/stdout, as runc does.
/// </summary>
public sealed class TerminalProxy : IDisposable
{
    private readonly int _parentEnd;
    private Thread? _output;

    public int ChildEnd { get; }

    public TerminalProxy()
    {
        unsafe
        {
            int* sv = stackalloc int[2];
            Errno.Check(Libc.socketpair(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0, sv), "socketpair");
            _parentEnd = sv[0];
            ChildEnd = sv[1];
        }
    }

    /// <summary>Receives the master (sent during create/exec) and starts copying both ways.</summary>
    public void Start()
    {
        int fd = Libc.ReceiveFd(_parentEnd, out _);
        var master = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: false), FileAccess.ReadWrite, 1);
        var stdin = Console.OpenStandardInput();
        var stdout = Console.OpenStandardOutput();
        _output = new Thread(() => Copy(master, stdout)) { IsBackground = true };
        _output.Start();
        new Thread(() => Copy(stdin, master)) { IsBackground = true }.Start();
    }

    private static void Copy(Stream from, Stream to)
    {
        var buf = new byte[8192];
        try
        {
            int n;
            while ((n = from.Read(buf)) > 0)
            {
                to.Write(buf, 0, n);
                to.Flush();
            }
        }
        catch (IOException) { /* the pty closes with EIO when the container exits */ }
    }

    /// <summary>After the process exited: lets the last of its output (still in the pty) reach stdout.</summary>
    public void DrainOutput() => _output?.Join(TimeSpan.FromSeconds(2));

    public void Dispose()
    {
        Libc.close(_parentEnd);
        Libc.close(ChildEnd);
    }
}
