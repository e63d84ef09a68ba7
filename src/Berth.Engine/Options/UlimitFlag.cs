using Berth.Engine.Model;

namespace Berth.Engine.Options;

/// <summary>
/// --ulimit NAME=SOFT[:HARD] (go-units ParseUlimit): HARD defaults to SOFT, "infinity" is -1
/// (unlimited), SOFT may not exceed HARD. Names are setrlimit's without RLIMIT_: core, cpu, data,
/// fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack
/// ("as" is left out, as docker does).
/// </summary>
public static class UlimitFlag
{
    public static IReadOnlyList<string> Names { get; } =
        ["core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"];

    public static Ulimit Parse(string value)
    {
        int eq = value.IndexOf('=');
        if (eq < 0) throw new FormatException($"invalid ulimit argument: {value}");
        string name = value[..eq], limits = value[(eq + 1)..];
        if (!Names.Contains(name)) throw new FormatException($"invalid ulimit type: {name}");

        string[] parts = limits.Split(':');
        if (parts.Length > 2)
            throw new FormatException($"too many limit value arguments - {limits}, can only have up to two, `soft[:hard]`");
        long hard = parts.Length == 2 ? Limit(parts[1]) : 0;
        long soft = Limit(parts[0]);
        if (parts.Length == 1) hard = soft;

        if (hard != -1)
        {
            if (soft == -1)
                throw new FormatException($"ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: {hard}");
            if (soft > hard)
                throw new FormatException($"ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}");
        }
        return new Ulimit { Name = name, Soft = soft, Hard = hard };
    }

    // strconv.ParseInt(s, 10, 64), or "infinity".
    private static long Limit(string s) => s == "infinity" ? -1 : GoText.ParseDecimal(s);
}
