using System.Globalization;

namespace Berth.Engine.Options;

/// <summary>
/// docker's --filter KEY=VALUE lists, for the prune and list commands: values of one key are
/// alternatives, different keys must all match. "label=K", "label=K=V" and their negations
/// "label!=…"; "until=" a timestamp (RFC 3339, Unix seconds) or a Go duration back from now.
/// </summary>
public sealed class FilterFlags
{
    private readonly List<(string Key, string Value)> _filters;

    private FilterFlags(List<(string Key, string Value)> filters) => _filters = filters;

    /// <summary>Parses the flags; a key not in <paramref name="allowed"/> is docker's "invalid filter 'KEY'".</summary>
    public static FilterFlags Parse(IEnumerable<string> flags, params string[] allowed)
    {
        var list = new List<(string, string)>();
        foreach (string flag in flags)
        {
            int eq = flag.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"bad format of filter (expected name=value): {flag}");
            string key = flag[..eq], value = flag[(eq + 1)..];
            // "label!=x" arrives as key "label!" with value "x".
            if (key.EndsWith('!') && key.TrimEnd('!') == "label") { key = "label!"; }
            if (!allowed.Contains(key.TrimEnd('!'))) throw new ArgumentException($"invalid filter '{key.TrimEnd('!')}'");
            list.Add((key, value));
        }
        return new FilterFlags(list);
    }

    public IEnumerable<string> Values(string key) => _filters.Where(f => f.Key == key).Select(f => f.Value);

    public bool Has(string key) => _filters.Any(f => f.Key == key);

    /// <summary>label=… (any of them) and label!=… (none of them) against a set of labels.</summary>
    public bool MatchesLabels(IReadOnlyDictionary<string, string>? labels)
    {
        var positive = Values("label").ToList();
        if (positive.Count > 0 && !positive.All(l => LabelMatches(labels, l))) return false;
        return !Values("label!").Any(l => LabelMatches(labels, l));
    }

    /// <summary>until=…: created before that time (every until= must hold).</summary>
    public bool MatchesUntil(DateTime created) => Values("until").All(u => created < ParseTimestamp(u));

    /// <summary>"K" (the label is there) or "K=V" (with that value).</summary>
    public static bool LabelMatches(IReadOnlyDictionary<string, string>? labels, string filter)
    {
        if (labels is null) return false;
        int eq = filter.IndexOf('=');
        return eq < 0 ? labels.ContainsKey(filter) : labels.TryGetValue(filter[..eq], out var v) && v == filter[(eq + 1)..];
    }

    /// <summary>docker's timestamp argument: RFC 3339 (or a date), Unix seconds (with a fraction), or a duration back from now ("10m", "1h30m").</summary>
    public static DateTime ParseTimestamp(string text)
    {
        if (DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t)) return t;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double unix)) return DateTime.UnixEpoch.AddSeconds(unix);
        return DateTime.UtcNow - TimeSpan.FromTicks(Units.ParseDuration(text) / 100);
    }
}
