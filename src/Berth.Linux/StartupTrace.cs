using System.Text;

namespace Berth.Linux;

/// <summary>
/// BERTH_TRACE=1: prints wall-clock time (seconds.fraction) at named points of the start path, for
/// tuning. Written with write(2) to fd 2, not through Console, whose set-up (about a millisecond)
/// would land between the first marks and hide where the time goes.
/// </summary>
public static class StartupTrace
{
    private static readonly bool s_enabled = Environment.GetEnvironmentVariable("BERTH_TRACE") == "1";

    public static unsafe void Mark(string what)
    {
        if (!s_enabled) return;
        byte[] line = Encoding.UTF8.GetBytes($"[{Environment.ProcessId}] {DateTime.UtcNow:ss.ffff} {what}\n");
        fixed (byte* p = line) Libc.write(2, p, line.Length);
    }
}
