using System.Net.Http.Headers;
using System.Text;

namespace Berth.Images.Registry;

/// <summary>
/// One challenge of a WWW-Authenticate header (RFC 9110 §11.6.1): a scheme and its parameters, e.g.
/// <c>Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"</c>.
/// Scheme and parameter names are case-insensitive; values may be quoted strings (with commas and
/// backslash escapes inside) or bare tokens. A header may hold several challenges, separated by commas.
/// Parsing is lenient: what cannot be understood is skipped, never thrown.
/// </summary>
public sealed class AuthChallenge
{
    public AuthChallenge(string scheme, IReadOnlyDictionary<string, string> parameters)
    {
        Scheme = scheme;
        Parameters = parameters;
    }

    public string Scheme { get; }
    public IReadOnlyDictionary<string, string> Parameters { get; }

    public bool IsBearer => Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase);
    public bool IsBasic => Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);

    /// <summary>A parameter's value, or null.</summary>
    public string? this[string name] => Parameters.TryGetValue(name, out var value) ? value : null;

    public override string ToString() =>
        Scheme + (Parameters.Count == 0 ? "" : " " + string.Join(",", Parameters.Select(p => $"{p.Key}=\"{p.Value}\"")));

    /// <summary>The challenges of every WWW-Authenticate header of a response, in order.</summary>
    public static IReadOnlyList<AuthChallenge> FromResponse(HttpResponseMessage response)
    {
        var all = new List<AuthChallenge>();
        if (response.Headers.NonValidated.TryGetValues("WWW-Authenticate", out HeaderStringValues values))
            foreach (string value in values) all.AddRange(Parse(value));
        return all;
    }

    public static IReadOnlyList<AuthChallenge> Parse(string header)
    {
        var challenges = new List<AuthChallenge>();
        int i = 0;
        while (true)
        {
            SkipSeparators(header, ref i);
            if (i >= header.Length) break;
            string scheme = ReadToken(header, ref i);
            if (scheme.Length == 0) { i++; continue; } // not a token character: skip it
            var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            while (true)
            {
                SkipSeparators(header, ref i);
                int nameStart = i;
                string name = ReadToken(header, ref i);
                if (name.Length == 0) break;
                SkipWhitespace(header, ref i);
                if (i >= header.Length || header[i] != '=')
                {
                    i = nameStart; // a token not followed by '=': the scheme of the next challenge
                    break;
                }
                i++;
                SkipWhitespace(header, ref i);
                string value = i < header.Length && header[i] == '"' ? ReadQuoted(header, ref i) : ReadBare(header, ref i);
                parameters.TryAdd(name, value); // a repeated parameter is invalid; the first one counts
            }
            challenges.Add(new AuthChallenge(scheme, parameters));
        }
        return challenges;
    }

    // tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    private static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c);

    private static string ReadToken(string s, ref int i)
    {
        int start = i;
        while (i < s.Length && IsTokenChar(s[i])) i++;
        return s[start..i];
    }

    // Some servers send unquoted values that are not tokens (realm=https://...): take up to ',' or space.
    private static string ReadBare(string s, ref int i)
    {
        int start = i;
        while (i < s.Length && s[i] != ',' && !char.IsWhiteSpace(s[i])) i++;
        return s[start..i];
    }

    // quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE; an unterminated one runs to the end.
    private static string ReadQuoted(string s, ref int i)
    {
        var sb = new StringBuilder();
        i++;
        while (i < s.Length)
        {
            char c = s[i++];
            if (c == '"') break;
            if (c == '\\' && i < s.Length) c = s[i++];
            sb.Append(c);
        }
        return sb.ToString();
    }

    private static void SkipWhitespace(string s, ref int i)
    {
        while (i < s.Length && s[i] is ' ' or '\t') i++;
    }

    private static void SkipSeparators(string s, ref int i)
    {
        while (i < s.Length && s[i] is ' ' or '\t' or ',') i++;
    }
}
