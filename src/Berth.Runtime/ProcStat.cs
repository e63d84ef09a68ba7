namespace Berth.Runtime;

/// <summary>Reads /proc/&lt;pid&gt;/stat: whether a pid is still the process we started.</summary>
public static class ProcStat
{
    /// <summary>(state letter, start time) or null when there is no such process.</summary>
    public static (char State, ulong StartTime)? Read(int pid)
    {
        if (Berth.Linux.RawFile.TryReadText($"/proc/{pid}/stat", out string text) != 0) return null;
        // "pid (comm) S ppid ..." — comm may hold spaces and parentheses: split after the last ')'.
        int close = text.LastIndexOf(')');
        if (close < 0) return null;
        string[] f = text[(close + 2)..].Split(' ');
        return (f[0][0], ulong.Parse(f[19]));
    }

    /// <summary>True when pid runs and is the same process (same start time), not a zombie.</summary>
    public static bool IsAlive(int pid, ulong startTime)
    {
        if (pid <= 0) return false;
        var s = Read(pid);
        return s is { } v && v.State is not ('Z' or 'X') && (startTime == 0 || v.StartTime == startTime);
    }
}
