using System.Diagnostics;

namespace Berth.Linux;

/// <summary>BERTH_TRACE=1: prints the time since process start at named points of the start path (for tuning).</summary>
public static class StartupTrace
{
    private static readonly bool s_enabled = Environment.GetEnvironmentVariable("BERTH_TRACE") == "1";
    private static readonly DateTime s_start = s_enabled ? Process.GetCurrentProcess().StartTime.ToUniversalTime() : default;

    public static void Mark(string what)
    {
        if (s_enabled) Console.Error.WriteLine($"[{Environment.ProcessId}] {DateTime.UtcNow:ss.ffff} ({(DateTime.UtcNow - s_start).TotalMilliseconds,5:F1} ms in) {what}");
    }
}
