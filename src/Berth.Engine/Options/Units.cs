using System.Globalization;
using System.Numerics;

namespace Berth.Engine.Options;

/// <summary>
/// The quantities of docker's run flags: byte sizes (go-units RAMInBytes), durations (Go's
/// time.ParseDuration) and CPU counts (docker's NanoCPUs). Every parser throws
/// <see cref="FormatException"/> with the message docker prints after "invalid argument … flag:".
/// </summary>
public static class Units
{
    private const long KiB = 1024;
    private static readonly char[] s_numberChars = "0123456789. ".ToCharArray();

    /// <summary>
    /// A size in bytes as go-units RAMInBytes reads it: a decimal number, an optional space, then an
    /// optional suffix b, k, m, g, t or p (1024-based, any case) which may carry "b" or "ib"
    /// ("64m", "1.5GiB", "512 kb", "100"). The fraction is truncated after scaling.
    /// </summary>
    public static long ParseBytes(string text) => ParseSize(text, KiB);

    /// <summary>go-units FromHumanSize: as <see cref="ParseBytes"/>, but 1000-based ("10m" is 10,000,000), as json-file's max-size reads it.</summary>
    public static long ParseHumanSize(string text) => ParseSize(text, 1000);

    private static long ParseSize(string text, long k)
    {
        int sep = text.LastIndexOfAny(s_numberChars);
        if (sep < 0) throw new FormatException($"invalid size: '{text}'");
        string number = text[sep] == ' ' ? text[..sep] : text[..(sep + 1)];
        string suffix = text[(sep + 1)..];

        double size = GoText.ParseFloat(number);
        if (size < 0) throw new FormatException($"invalid size: '{text}'");
        if (suffix.Length == 0) return Truncate(size, text);
        if (suffix.Length > 3) throw BadSuffix(suffix);

        suffix = suffix.ToLowerInvariant();
        if (suffix[0] == 'b')
            return suffix.Length == 1 ? Truncate(size, text) : throw BadSuffix(suffix);
        long multiplier = suffix[0] switch
        {
            'k' => k,
            'm' => k * k,
            'g' => k * k * k,
            't' => k * k * k * k,
            'p' => k * k * k * k * k,
            _ => throw BadSuffix(suffix),
        };
        if ((suffix.Length == 2 && suffix[1] != 'b') || (suffix.Length == 3 && suffix[1..] != "ib")) throw BadSuffix(suffix);
        return Truncate(size * multiplier, text);
    }

    private static FormatException BadSuffix(string suffix) => new($"invalid suffix: '{suffix}'");

    // Go converts the float with int64(size), which is undefined past 2^63: refuse instead.
    private static long Truncate(double size, string text) =>
        size < 9.2233720368547758E18 ? (long)size : throw new FormatException($"invalid size: '{text}'");

    private static readonly (string Unit, long Nanoseconds)[] s_durationUnits =
    [
        ("ns", 1), ("us", 1_000), ("\u00b5s", 1_000), ("\u03bcs", 1_000), ("ms", 1_000_000),
        ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000),
    ];

    /// <summary>
    /// A duration as Go's time.ParseDuration reads it ("1h2m3.5s", "300ms", "10us", "-1.5h", "0"),
    /// in nanoseconds — the unit of the Engine API's HealthConfig durations.
    /// </summary>
    public static long ParseDuration(string text)
    {
        string s = text;
        bool negative = false;
        if (s.Length > 0 && (s[0] == '-' || s[0] == '+'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (s == "0") return 0;
        if (s.Length == 0) throw InvalidDuration(text);

        const ulong limit = 1UL << 63;
        ulong total = 0;
        while (s.Length > 0)
        {
            if (!(s[0] == '.' || char.IsAsciiDigit(s[0]))) throw InvalidDuration(text);

            int start = s.Length;
            ulong whole = LeadingInt(ref s, text);
            bool hasWhole = start != s.Length;

            ulong fraction = 0;
            double scale = 1;
            bool hasFraction = false;
            if (s.Length > 0 && s[0] == '.')
            {
                s = s[1..];
                start = s.Length;
                LeadingFraction(ref s, out fraction, out scale);
                hasFraction = start != s.Length;
            }
            if (!hasWhole && !hasFraction) throw InvalidDuration(text);

            int unitEnd = 0;
            while (unitEnd < s.Length && s[unitEnd] != '.' && !char.IsAsciiDigit(s[unitEnd])) unitEnd++;
            string unit = s[..unitEnd];
            s = s[unitEnd..];
            if (unit.Length == 0) throw new FormatException($"time: missing unit in duration {GoText.Quote(text)}");
            long perUnit = 0;
            foreach (var (name, ns) in s_durationUnits)
                if (name == unit) perUnit = ns;
            if (perUnit == 0) throw new FormatException($"time: unknown unit {GoText.Quote(unit)} in duration {GoText.Quote(text)}");

            if (whole > limit / (ulong)perUnit) throw InvalidDuration(text);
            ulong value = whole * (ulong)perUnit;
            if (fraction > 0)
            {
                value += (ulong)(fraction * (perUnit / scale));
                if (value > limit) throw InvalidDuration(text);
            }
            if (value > limit - total) throw InvalidDuration(text);
            total += value;
        }
        if (negative) return total == limit ? long.MinValue : -(long)total;
        return total > limit - 1 ? throw InvalidDuration(text) : (long)total;
    }

    private static FormatException InvalidDuration(string text) => new($"time: invalid duration {GoText.Quote(text)}");

    private static ulong LeadingInt(ref string s, string text)
    {
        int i = 0;
        ulong x = 0;
        for (; i < s.Length && char.IsAsciiDigit(s[i]); i++)
        {
            if (x > (1UL << 63) / 10) throw InvalidDuration(text);
            x = x * 10 + (ulong)(s[i] - '0');
            if (x > 1UL << 63) throw InvalidDuration(text);
        }
        s = s[i..];
        return x;
    }

    // Digits after the point: kept while they fit, the rest only move past (as Go does).
    private static void LeadingFraction(ref string s, out ulong x, out double scale)
    {
        int i = 0;
        x = 0;
        scale = 1;
        bool overflow = false;
        for (; i < s.Length && char.IsAsciiDigit(s[i]); i++)
        {
            if (overflow) continue;
            if (x > long.MaxValue / 10) { overflow = true; continue; }
            ulong y = x * 10 + (ulong)(s[i] - '0');
            if (y > 1UL << 63) { overflow = true; continue; }
            x = y;
            scale *= 10;
        }
        s = s[i..];
    }

    /// <summary>
    /// A CPU count as docker's --cpus reads it — a decimal ("1.5", "0.25", "2e-1") or a fraction
    /// ("3/2") — in billionths of a CPU (HostConfig.NanoCpus). More than nine decimals is refused.
    /// </summary>
    public static long ParseCpus(string text)
    {
        if (!TryParseRational(text, out BigInteger numerator, out BigInteger denominator))
            throw new FormatException($"failed to parse {text} as a rational number");
        var scaled = numerator * 1_000_000_000;
        if (!(scaled % denominator).IsZero) throw new FormatException("value is too precise");
        var nano = scaled / denominator;
        if (nano < long.MinValue || nano > long.MaxValue) throw new FormatException("value is out of range");
        return (long)nano;
    }

    // big.Rat's SetString for the forms a user types: "a/b", or a decimal with an optional exponent.
    private static bool TryParseRational(string s, out BigInteger numerator, out BigInteger denominator)
    {
        numerator = BigInteger.Zero;
        denominator = BigInteger.One;
        if (s.Length == 0 || s.Length > 64) return false;
        int slash = s.IndexOf('/');
        if (slash >= 0)
        {
            return TryInteger(s[..slash], allowSign: true, out numerator)
                && TryInteger(s[(slash + 1)..], allowSign: false, out denominator)
                && !denominator.IsZero;
        }

        int i = 0;
        bool negative = false;
        if (s[0] == '+' || s[0] == '-') { negative = s[0] == '-'; i = 1; }
        int digits = 0, decimals = 0;
        bool point = false;
        for (; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsAsciiDigit(c))
            {
                numerator = numerator * 10 + (c - '0');
                digits++;
                if (point) decimals++;
            }
            else if (c == '.' && !point) point = true;
            else break;
        }
        if (digits == 0) return false;
        int exponent = 0;
        if (i < s.Length)
        {
            if (s[i] != 'e' && s[i] != 'E') return false;
            if (!int.TryParse(s.AsSpan(i + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent)
                || Math.Abs(exponent) > 64)
                return false;
        }
        exponent -= decimals;
        if (exponent >= 0) numerator *= BigInteger.Pow(10, exponent);
        else denominator = BigInteger.Pow(10, -exponent);
        if (negative) numerator = -numerator;
        return true;
    }

    private static bool TryInteger(string s, bool allowSign, out BigInteger value)
    {
        value = BigInteger.Zero;
        int i = 0;
        bool negative = false;
        if (allowSign && s.Length > 0 && (s[0] == '+' || s[0] == '-')) { negative = s[0] == '-'; i = 1; }
        if (i >= s.Length) return false;
        for (; i < s.Length; i++)
        {
            if (!char.IsAsciiDigit(s[i])) return false;
            value = value * 10 + (s[i] - '0');
        }
        if (negative) value = -value;
        return true;
    }
}
