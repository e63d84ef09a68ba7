using System.Runtime.InteropServices;

namespace Berth.Linux;

public static partial class Libc
{
    public const int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGKILL = 9, SIGUSR1 = 10, SIGUSR2 = 12,
        SIGTERM = 15, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGWINCH = 28;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int kill(int pid, int sig);

    private static readonly string[] s_names =
    [
        "", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
        "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU",
        "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    ];

    /// <summary>Parses "KILL", "SIGKILL", "9", "RTMIN+3" as kill(1) and runc do.</summary>
    public static int ParseSignal(string text)
    {
        if (int.TryParse(text, out int n))
            return n is > 0 and <= 64 ? n : throw new ArgumentException($"invalid signal \"{text}\"");
        string name = text.ToUpperInvariant();
        if (name.StartsWith("SIG", StringComparison.Ordinal)) name = name[3..];
        int i = Array.IndexOf(s_names, name);
        if (i > 0) return i;
        if (name == "IOT") return 6;
        if (name == "POLL") return 29;
        if (name.StartsWith("RTMIN", StringComparison.Ordinal) && TryOffset(name[5..], out int up)) return 34 + up;
        if (name.StartsWith("RTMAX", StringComparison.Ordinal) && TryOffset(name[5..], out int down)) return 64 + down;
        throw new ArgumentException($"invalid signal \"{text}\"");
    }

    /// <summary>
    /// The name of signal 1..64 without its SIG prefix, as kill -l and docker spell it: HUP … SYS,
    /// RTMIN, RTMIN+1 … RTMIN+15, RTMAX-14 … RTMAX; null for 32 and 33 (kept by libc) and numbers outside 1..64.
    /// </summary>
    public static string? SignalName(int sig) => sig switch
    {
        > 0 and < 32 => s_names[sig],
        34 => "RTMIN",
        > 34 and <= 49 => "RTMIN+" + (sig - 34),
        >= 50 and < 64 => "RTMAX-" + (64 - sig),
        64 => "RTMAX",
        _ => null,
    };

    private static bool TryOffset(string s, out int value)
    {
        value = 0;
        return s.Length == 0 || (int.TryParse(s, out value) && Math.Abs(value) <= 30);
    }
}
