using System.Runtime.InteropServices;
using Berth.Linux;

namespace Berth.Cli.Runtime;

/// <summary>While `run`/`exec` wait in the foreground, the signals they receive go to the container's process.</summary>
public sealed class SignalForwarder : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];

    public SignalForwarder(int pid)
    {
        int[] signals = [Libc.SIGHUP, Libc.SIGINT, Libc.SIGQUIT, Libc.SIGTERM, Libc.SIGUSR1, Libc.SIGUSR2];
        foreach (int sig in signals)
        {
            _registrations.Add(PosixSignalRegistration.Create((PosixSignal)sig, ctx =>
            {
                ctx.Cancel = true;
                Libc.kill(pid, sig);
            }));
        }
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
    }
}
