using System.Globalization;
using System.Numerics;
using System.Text;

namespace Berth.Engine.Options;

/// <summary>
/// The scalar syntaxes docker's flags inherit from Go (strconv and pflag), with Go's error wording,
/// so that `berth run` rejects what `docker run` rejects, with the same words.
/// </summary>
internal static class GoText
{
    /// <summary>A string as Go's %q prints it: double quotes, backslash escapes for quotes, backslashes and controls.</summary>
    public static string Quote(string s)
    {
        var b = new StringBuilder(s.Length + 2).Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': b.Append("\\\""); break;
                case '\\': b.Append("\\\\"); break;
                case '\n': b.Append("\\n"); break;
                case '\r': b.Append("\\r"); break;
                case '\t': b.Append("\\t"); break;
                default:
                    if (char.IsControl(c)) b.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    else b.Append(c);
                    break;
            }
        }
        return b.Append('"').ToString();
    }

    /// <summary>strconv.ParseBool: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False.</summary>
    public static bool ParseBool(string s) => s switch
    {
        "1" or "t" or "T" or "TRUE" or "true" or "True" => true,
        "0" or "f" or "F" or "FALSE" or "false" or "False" => false,
        _ => throw new FormatException($"strconv.ParseBool: parsing {Quote(s)}: invalid syntax"),
    };

    /// <summary>strconv.ParseBool with the caller's error.</summary>
    public static bool ParseBoolOr(string s, Func<FormatException> error) => s switch
    {
        "1" or "t" or "T" or "TRUE" or "true" or "True" => true,
        "0" or "f" or "F" or "FALSE" or "false" or "False" => false,
        _ => throw error(),
    };

    /// <summary>
    /// strconv.ParseInt(s, 0, 64) as pflag's int flags call it: an optional sign, then decimal, or
    /// 0x/0o/0b/leading-0 (octal) prefixed digits. "010" is 8, as in docker.
    /// </summary>
    public static long ParseInt(string s, long min = long.MinValue, long max = long.MaxValue)
    {
        if (!TryParseMagnitude(s, out bool negative, out BigInteger magnitude))
            throw new FormatException($"strconv.ParseInt: parsing {Quote(s)}: invalid syntax");
        var value = negative ? -magnitude : magnitude;
        if (value < min || value > max)
            throw new FormatException($"strconv.ParseInt: parsing {Quote(s)}: value out of range");
        return (long)value;
    }

    /// <summary>strconv.ParseInt(s, 10, 64): an optional sign and decimal digits.</summary>
    public static long ParseDecimal(string s)
    {
        int i = s.Length > 0 && (s[0] == '+' || s[0] == '-') ? 1 : 0;
        if (i == s.Length || s.AsSpan(i).ContainsAnyExceptInRange('0', '9'))
            throw new FormatException($"strconv.ParseInt: parsing {Quote(s)}: invalid syntax");
        if (!long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
            throw new FormatException($"strconv.ParseInt: parsing {Quote(s)}: value out of range");
        return value;
    }

    /// <summary>strconv.ParseUint(s, 0, bits): as <see cref="ParseInt"/> without a sign.</summary>
    public static ulong ParseUint(string s, ulong max)
    {
        if (s.StartsWith('+') || s.StartsWith('-') || !TryParseMagnitude(s, out _, out BigInteger magnitude))
            throw new FormatException($"strconv.ParseUint: parsing {Quote(s)}: invalid syntax");
        if (magnitude > max)
            throw new FormatException($"strconv.ParseUint: parsing {Quote(s)}: value out of range");
        return (ulong)magnitude;
    }

    /// <summary>strconv.Atoi: decimal digits with an optional sign, nothing else.</summary>
    public static bool TryAtoi(string s, out int value) =>
        int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value) && s.Length > 0 && !char.IsWhiteSpace(s[0]);

    private static bool TryParseMagnitude(string s, out bool negative, out BigInteger magnitude)
    {
        negative = false;
        magnitude = BigInteger.Zero;
        int i = 0;
        if (s.Length > 0 && (s[0] == '+' || s[0] == '-')) { negative = s[0] == '-'; i = 1; }
        int radix = 10;
        if (s.Length - i >= 2 && s[i] == '0')
        {
            char p = char.ToLowerInvariant(s[i + 1]);
            if (p == 'x') { radix = 16; i += 2; }
            else if (p == 'o') { radix = 8; i += 2; }
            else if (p == 'b') { radix = 2; i += 2; }
            else { radix = 8; i += 1; }
        }
        if (i >= s.Length) return false;
        for (; i < s.Length; i++)
        {
            int d = HexDigit(s[i]);
            if (d < 0 || d >= radix) return false;
            // Past 80 bits the number is out of range for every caller: keep checking digits, stop growing it.
            if (magnitude.GetBitLength() <= 80) magnitude = magnitude * radix + d;
        }
        return true;
    }

    private static int HexDigit(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    /// <summary>strconv.ParseFloat for the decimal forms: [sign] digits [. digits] [e [sign] digits].</summary>
    public static double ParseFloat(string s)
    {
        if (!IsDecimalFloat(s) || !double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || double.IsInfinity(value))
            throw new FormatException($"strconv.ParseFloat: parsing {Quote(s)}: invalid syntax");
        return value;
    }

    private static bool IsDecimalFloat(string s)
    {
        int i = 0;
        if (i < s.Length && (s[i] == '+' || s[i] == '-')) i++;
        int digits = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; digits++; }
        if (i < s.Length && s[i] == '.')
        {
            i++;
            while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; digits++; }
        }
        if (digits == 0) return false;
        if (i < s.Length && (s[i] == 'e' || s[i] == 'E'))
        {
            i++;
            if (i < s.Length && (s[i] == '+' || s[i] == '-')) i++;
            int exp = 0;
            while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; exp++; }
            if (exp == 0) return false;
        }
        return i == s.Length;
    }

    /// <summary>Go's path.Clean for slash-separated paths: no "//", "." or "x/.." segments; "" becomes ".".</summary>
    public static string CleanPath(string path)
    {
        if (path.Length == 0) return ".";
        bool rooted = path[0] == '/';
        var parts = new List<string>();
        foreach (string part in path.Split('/'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == "..")
            {
                if (parts.Count > 0 && parts[^1] != "..") parts.RemoveAt(parts.Count - 1);
                else if (!rooted) parts.Add("..");
                continue;
            }
            parts.Add(part);
        }
        string joined = string.Join('/', parts);
        if (rooted) return "/" + joined;
        return joined.Length == 0 ? "." : joined;
    }
}
