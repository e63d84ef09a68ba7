using System.Runtime.InteropServices;
using Berth.Cli.Runtime;
using Berth.Engine.Containers;
using Berth.Engine.Monitor;
using Berth.Linux;

namespace Berth.Cli.Containers;

/// <summary>
/// The client side of an attached container (run without -d, start -a, attach): the monitor writes
/// the output straight to this process's stdout/stderr; this process copies its stdin into the
/// input the monitor hands over, puts its terminal in raw mode for a tty, passes window sizes, and
/// detaches on ctrl-p ctrl-q.
/// </summary>
public static class AttachedStreams
{
    public const int Detached = -1;

    /// <summary>Follows the session to the container's end; its exit code, or <see cref="Detached"/>.</summary>
    public static int Follow(ContainerEngine engine, string id, MonitorSession session, bool tty, bool stdin, int pid, bool sigProxy)
    {
        Libc.Termios? saved = tty && stdin ? Libc.MakeRaw(0) : null;
        SignalForwarder? forward = sigProxy && !tty && pid > 0 ? new SignalForwarder(pid) : null;
        PosixSignalRegistration? winch = null;
        bool detached = false;
        try
        {
            while (true)
            {
                var e = session.Next();
                switch (e.Kind)
                {
                    case MonitorSession.Kind.Input:
                        int input = e.Fd;
                        if (tty)
                        {
                            CopyWindowSize(input);
                            winch = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => CopyWindowSize(input));
                        }
                        var thread = new Thread(() =>
                        {
                            bool detach = CopyInput(input, tty);
                            Libc.close(input);   // our copy: the container sees the end of its stdin once the monitor's goes too
                            if (detach) { detached = true; session.Detach(); }
                            else if (!tty) session.StdinEnded();
                        }) { IsBackground = true, Name = "stdin" };
                        thread.Start();
                        break;
                    case MonitorSession.Kind.Started:
                        if (sigProxy && !tty && e.Code != pid) { forward?.Dispose(); forward = new SignalForwarder(e.Code); pid = e.Code; }
                        break;
                    case MonitorSession.Kind.Exited:
                        return e.Code;
                    case MonitorSession.Kind.Failed:
                        Console.Error.WriteLine("Error: " + e.Message);
                        return e.Code;
                    case MonitorSession.Kind.Closed:
                        return detached ? Detached : engine.Wait(id);
                }
            }
        }
        finally
        {
            forward?.Dispose();
            winch?.Dispose();
            if (saved is { } s) Libc.Restore(0, s);
        }
    }

    private static void CopyWindowSize(int master)
    {
        if (Libc.TryGetWindowSize(1, out var size) || Libc.TryGetWindowSize(0, out size)) Libc.SetWindowSize(master, size);
    }

    /// <summary>Copies stdin to the container; true if the user detached (ctrl-p ctrl-q on a tty).</summary>
    private static unsafe bool CopyInput(int input, bool tty)
    {
        var buffer = new byte[4096];
        bool sawCtrlP = false;
        while (true)
        {
            nint n;
            fixed (byte* p = buffer) n = Libc.read(0, p, buffer.Length);
            if (n < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR) continue;
            if (n <= 0) return false;
            int length = (int)n;
            if (tty)
            {
                for (int i = 0; i < length; i++)
                {
                    if (sawCtrlP && buffer[i] == 0x11) return true;
                    sawCtrlP = buffer[i] == 0x10;
                }
            }
            try { Libc.WriteAll(input, buffer.AsSpan(0, length), "write to the container's stdin"); }
            catch (SyscallException) { return false; }
        }
    }
}
