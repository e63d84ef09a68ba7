using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Cli.Formatting;

/// <summary>
/// The part of Go's text/template that docker's --format strings use, evaluated over JSON:
/// <c>{{.Field.Sub}}</c>, <c>{{json .X}}</c>, <c>{{join .X ", "}}</c>, <c>{{index .M "key"}}</c>,
/// <c>{{upper/lower/title/len .X}}</c>, <c>{{range .X}}…{{end}}</c>, <c>{{if .X}}…{{else}}…{{end}}</c>,
/// and the literal escapes \t and \n. Values print as Go prints them ("[a b]" for a list,
/// "map[k:v]" for an object, "&lt;no value&gt;" for a missing field).
/// </summary>
public sealed class GoTemplate
{
    private readonly List<Node> _nodes;

    private GoTemplate(List<Node> nodes) => _nodes = nodes;

    public static GoTemplate Parse(string text)
    {
        text = text.Replace("\\t", "\t").Replace("\\n", "\n");
        int pos = 0;
        var nodes = ParseList(text, ref pos, out string? end);
        if (end is not null) throw new FormatException($"template: unexpected {{{{{end}}}}}");
        return new GoTemplate(nodes);
    }

    public string Render(JsonNode? data)
    {
        var sb = new StringBuilder();
        Render(_nodes, data, sb);
        return sb.ToString();
    }

    /// <summary>The fields a template names at its top level, in order: docker's table headers come from them.</summary>
    public IEnumerable<string> TopFields() =>
        _nodes.OfType<Action>().Select(a => a.Args.FirstOrDefault(x => x.StartsWith('.')) ?? "").Where(f => f.Length > 1);

    private abstract record Node;
    private sealed record Text(string Value) : Node;
    private sealed record Action(string Func, string[] Args) : Node;
    private sealed record Range(string[] Args, List<Node> Body) : Node;
    private sealed record If(string[] Args, List<Node> Then, List<Node> Else) : Node;

    private static List<Node> ParseList(string text, ref int pos, out string? end)
    {
        var nodes = new List<Node>();
        end = null;
        while (pos < text.Length)
        {
            int open = text.IndexOf("{{", pos, StringComparison.Ordinal);
            if (open < 0) { nodes.Add(new Text(text[pos..])); pos = text.Length; break; }
            if (open > pos) nodes.Add(new Text(text[pos..open]));
            int close = text.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0) throw new FormatException("template: unclosed action {{");
            string body = text[(open + 2)..close].Trim().Trim('-').Trim();
            pos = close + 2;
            var words = Split(body);
            if (words.Count == 0) throw new FormatException("template: empty action {{}}");
            switch (words[0])
            {
                case "end" or "else":
                    end = words[0];
                    return nodes;
                case "range":
                {
                    var inner = ParseList(text, ref pos, out string? e);
                    if (e != "end") throw new FormatException("template: range without end");
                    nodes.Add(new Range(words.Skip(1).ToArray(), inner));
                    break;
                }
                case "if":
                {
                    var then = ParseList(text, ref pos, out string? e);
                    var otherwise = new List<Node>();
                    if (e == "else") otherwise = ParseList(text, ref pos, out e);
                    if (e != "end") throw new FormatException("template: if without end");
                    nodes.Add(new If(words.Skip(1).ToArray(), then, otherwise));
                    break;
                }
                default:
                    nodes.Add(words[0].StartsWith('.') || words[0].StartsWith('"')
                        ? new Action("", words.ToArray())
                        : new Action(words[0], words.Skip(1).ToArray()));
                    break;
            }
        }
        return nodes;
    }

    private static List<string> Split(string body)
    {
        var words = new List<string>();
        int i = 0;
        while (i < body.Length)
        {
            if (char.IsWhiteSpace(body[i])) { i++; continue; }
            int start = i;
            if (body[i] == '"')
            {
                i++;
                while (i < body.Length && body[i] != '"') { if (body[i] == '\\') i++; i++; }
                if (i >= body.Length) throw new FormatException("template: unterminated string");
                i++;
            }
            else while (i < body.Length && !char.IsWhiteSpace(body[i])) i++;
            words.Add(body[start..i]);
        }
        return words;
    }

    private static void Render(List<Node> nodes, JsonNode? dot, StringBuilder sb)
    {
        foreach (var node in nodes)
        {
            switch (node)
            {
                case Text t: sb.Append(t.Value); break;
                case Action a: sb.Append(Call(a.Func, a.Args, dot)); break;
                case Range r:
                    if (Arg(r.Args[0], dot) is JsonArray items)
                        foreach (var item in items) Render(r.Body, item, sb);
                    else if (Arg(r.Args[0], dot) is JsonObject map)
                        foreach (var kv in map) Render(r.Body, kv.Value, sb);
                    break;
                case If f:
                    Render(Truthy(Arg(f.Args[0], dot)) ? f.Then : f.Else, dot, sb);
                    break;
            }
        }
    }

    private static string Call(string func, string[] args, JsonNode? dot)
    {
        JsonNode? First() => args.Length > 0 ? Arg(args[0], dot) : dot;
        switch (func)
        {
            case "": return args.Length == 1 && !TryArg(args[0], dot, out _) ? "<no value>" : Print(First());
            case "json": return First()?.ToJsonString(s_json) ?? "null";
            case "upper": return Print(First()).ToUpperInvariant();
            case "lower": return Print(First()).ToLowerInvariant();
            case "title": return CultureInfo.InvariantCulture.TextInfo.ToTitleCase(Print(First()));
            case "len": return (First() switch { JsonArray a => a.Count, JsonObject o => o.Count, var v => Print(v).Length }).ToString(CultureInfo.InvariantCulture);
            case "join":
                if (args.Length != 2) throw new FormatException("template: join wants a list and a separator");
                return First() is JsonArray list ? string.Join(Print(Arg(args[1], dot)), list.Select(Print)) : Print(First());
            case "index":
                if (args.Length != 2) throw new FormatException("template: index wants a map and a key");
                return Print(First() switch
                {
                    JsonObject o => o[Print(Arg(args[1], dot))],
                    JsonArray a when int.TryParse(Print(Arg(args[1], dot)), out int i) && i >= 0 && i < a.Count => a[i],
                    _ => null,
                });
            case "println": return string.Join(' ', args.Select(x => Print(Arg(x, dot)))) + "\n";
            default: throw new FormatException($"template: function \"{func}\" not defined");
        }
    }

    private static readonly JsonSerializerOptions s_json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static JsonNode? Arg(string arg, JsonNode? dot) => TryArg(arg, dot, out var node) ? node : null;

    /// <summary>The value an argument names; false for a field that is not there (Go prints "&lt;no value&gt;").</summary>
    private static bool TryArg(string arg, JsonNode? dot, out JsonNode? node)
    {
        node = dot;
        if (arg.StartsWith('"')) { node = JsonValue.Create(Unquote(arg)); return true; }
        if (arg == ".") return true;
        if (!arg.StartsWith('.')) { node = JsonValue.Create(arg); return true; }
        foreach (var name in arg[1..].Split('.'))
        {
            if (node is not JsonObject o || !o.TryGetPropertyValue(name, out node)) { node = null; return false; }
        }
        return true;
    }

    private static string Unquote(string s)
    {
        var sb = new StringBuilder();
        for (int i = 1; i < s.Length - 1; i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length - 1)
            {
                i++;
                sb.Append(s[i] switch { 't' => '\t', 'n' => '\n', _ => s[i] });
            }
            else sb.Append(s[i]);
        }
        return sb.ToString();
    }

    private static bool Truthy(JsonNode? node) => node switch
    {
        null => false,
        JsonArray a => a.Count > 0,
        JsonObject o => o.Count > 0,
        JsonValue v when v.TryGetValue(out bool b) => b,
        JsonValue v when v.TryGetValue(out string? s) => !string.IsNullOrEmpty(s),
        JsonValue v when v.TryGetValue(out double d) => d != 0,
        _ => true,
    };

    /// <summary>A value as Go's fmt prints it with %v.</summary>
    public static string Print(JsonNode? node) => node switch
    {
        null => "<nil>",
        JsonArray a => "[" + string.Join(' ', a.Select(Print)) + "]",
        JsonObject o => "map[" + string.Join(' ', o.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + ":" + Print(kv.Value))) + "]",
        JsonValue v when v.TryGetValue(out string? s) => s,
        JsonValue v when v.TryGetValue(out bool b) => b ? "true" : "false",
        _ => node.ToJsonString(),
    };
}
