namespace Berth.Linux;

/// <summary>BERTH_TRACE=1: prints wall-clock time (seconds.fraction) at named points of the start path, for tuning.</summary>
public static class StartupTrace
{
    private static readonly bool s_enabled = Environment.GetEnvironmentVariable("BERTH_TRACE") == "1";

    public static void Mark(string what)
    {
        if (s_enabled) Console.Error.WriteLine($"[{Environment.ProcessId}] {DateTime.UtcNow:ss.ffff} {what}");
    }
}
