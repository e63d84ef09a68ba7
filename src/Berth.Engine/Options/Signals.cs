using Berth.Linux;

namespace Berth.Engine.Options;

/// <summary>
/// Signal names as docker reads them (--stop-signal, STOPSIGNAL, kill -s): a number, or a name with
/// or without "SIG" in any case — the Linux table of <see cref="Libc.SignalName"/> plus the aliases
/// CLD, IOT and POLL, and RTMIN+0..15 / RTMAX-14..0 for the real-time signals.
/// </summary>
public static class Signals
{
    /// <summary>The signal number of "SIGTERM", "TERM", "sigkill", "15" or "RTMIN+3".</summary>
    /// <remarks>Docker passes any non-zero number through; berth keeps to 1..64, the numbers kill(2) takes.</remarks>
    public static int Parse(string text)
    {
        if (GoText.TryAtoi(text, out int number))
            return number is >= 1 and <= 64 ? number : throw Invalid(text);

        string name = text.ToUpperInvariant();
        if (name.StartsWith("SIG", StringComparison.Ordinal)) name = name[3..];
        switch (name)
        {
            case "CLD": return Libc.SIGCHLD;
            case "IOT": return 6;
            case "POLL": return 29;
        }
        for (int n = 1; n <= 64; n++)
            if (Libc.SignalName(n) == name) return n;
        throw Invalid(text);
    }

    /// <summary>"SIGTERM" for 15, "SIGRTMIN+3" for 37.</summary>
    public static string Name(int signal) =>
        Libc.SignalName(signal) is { } name ? "SIG" + name : throw new ArgumentOutOfRangeException(nameof(signal), signal, "no such signal");

    private static FormatException Invalid(string text) => new($"invalid signal: {text}");
}
