using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Berth.Engine.Options;

/// <summary>
/// The name-resolution and port flags: --add-host, --dns, --dns-search, --expose, with the docker
/// CLI's validation and messages.
/// </summary>
public static partial class NetworkFlags
{
    /// <summary>
    /// --add-host NAME:IP or NAME=IP ("h:10.0.0.1", "h=::1", "h:[::1]", "h:host-gateway"), in the
    /// API's form NAME:IP (brackets dropped). Several names may share an IP: "a;b:10.0.0.1".
    /// </summary>
    public static string ParseExtraHost(string value)
    {
        int sep = value.IndexOf('=');
        if (sep < 0) sep = value.IndexOf(':');
        string name = sep < 0 ? "" : value[..sep];
        string ip = sep < 0 ? "" : value[(sep + 1)..];
        if (name.Length == 0 || name.Contains(':')) throw new FormatException($"bad format for add-host: {GoText.Quote(value)}");
        if (name.Split(';').Any(n => n.Length == 0)) throw new FormatException($"hostname in add-host {GoText.Quote(value)} is empty");
        if (ip != "host-gateway")
        {
            if (ip.Length > 2 && ip[0] == '[' && ip[^1] == ']') ip = ip[1..^1];
            if (!TryParseIp(ip, out _)) throw new FormatException($"invalid IP address in add-host: {GoText.Quote(ip)}");
        }
        return name + ":" + ip;
    }

    /// <summary>--dns IP, in canonical form (Go's net.IP String).</summary>
    public static string ParseDns(string value) =>
        TryParseIp(value.Trim(), out string canonical) ? canonical : throw new FormatException($"IP address is not correctly formatted: {value}");

    /// <summary>--dns-search DOMAIN, or "." for none; a trailing dot is dropped.</summary>
    public static string ParseDnsSearch(string value)
    {
        string v = value.Trim(' ');
        if (v == ".") return v;
        if (!v.Any(char.IsAsciiLetter)) throw new FormatException($"{v} is not a valid domain");
        var match = DomainPattern().Match(v);
        if (!match.Success || match.Groups[1].Length >= 255) throw new FormatException($"{v} is not a valid domain");
        return match.Groups[1].Value;
    }

    // docker's domainRegexp, verbatim in its meaning (its "(:?" groups allow a stray colon, as docker's do).
    [GeneratedRegex(@"^(:?(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9]))(:?\.(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9])))*)\.?\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex DomainPattern();

    /// <summary>
    /// --expose PORT[-END][/PROTO] (tcp by default; tcp, udp or sctp) as ExposedPorts keys: "80/tcp", or one key per port of a range.
    /// </summary>
    public static IEnumerable<string> ParseExpose(string value)
    {
        int slash = value.IndexOf('/');
        string ports = slash < 0 ? value : value[..slash];
        string proto = slash < 0 ? "tcp" : value[(slash + 1)..].ToLowerInvariant();
        if (proto.Length == 0) proto = "tcp";
        if (proto is not ("tcp" or "udp" or "sctp"))
            throw new FormatException($"invalid range format for --expose: invalid protocol '{proto}'");
        int dash = ports.IndexOf('-');
        ushort start = Port(dash < 0 ? ports : ports[..dash], value);
        ushort end = dash < 0 ? start : Port(ports[(dash + 1)..], value);
        if (end < start) throw new FormatException($"invalid range format for --expose: invalid range specified for port: {ports}");
        for (int p = start; p <= end; p++) yield return p.ToString(CultureInfo.InvariantCulture) + "/" + proto;
    }

    private static ushort Port(string text, string value) =>
        ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ushort port)
            ? port
            : throw new FormatException($"invalid range format for --expose: invalid port '{text}' in {value}");

    /// <summary>Go's net.ParseIP: dotted-quad IPv4 (no leading zeros) or IPv6 without a zone; canonical text out.</summary>
    internal static bool TryParseIp(string text, out string canonical)
    {
        canonical = "";
        if (text.Contains(':'))
        {
            if (text.Contains('%') || text.Contains('/') || !IPAddress.TryParse(text, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
                return false;
            canonical = v6.IsIPv4MappedToIPv6 ? v6.MapToIPv4().ToString() : v6.ToString();
            return true;
        }
        string[] octets = text.Split('.');
        if (octets.Length != 4) return false;
        foreach (string o in octets)
        {
            if (o.Length is 0 or > 3 || (o.Length > 1 && o[0] == '0') || !o.All(char.IsAsciiDigit) || int.Parse(o, CultureInfo.InvariantCulture) > 255)
                return false;
        }
        canonical = text;
        return true;
    }
}
