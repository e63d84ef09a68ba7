namespace Berth.Images.References;

/// <summary>
/// An image reference parsed as docker parses it: <c>[domain[:port]/]path[:tag][@digest]</c>.
/// The first path component is a registry domain only if it contains '.' or ':', is "localhost",
/// or has upper-case letters; otherwise the reference is on Docker Hub, where a single-component
/// path gets the "library/" prefix. A reference without tag or digest means ":latest".
/// </summary>
public sealed record ImageReference
{
    public const string DockerHubDomain = "docker.io";
    public const string DefaultTag = "latest";
    private const int MaxNameLength = 255;

    /// <summary>Registry host, with port if one was given ("docker.io", "127.0.0.1:5000").</summary>
    public required string Domain { get; init; }
    /// <summary>Repository path inside the registry ("library/busybox").</summary>
    public required string Path { get; init; }
    public string? Tag { get; init; }
    public string? Digest { get; init; }

    /// <summary>domain/path: the fully qualified repository name.</summary>
    public string Repository => Domain + "/" + Path;

    /// <summary>The short form docker shows: "busybox" for docker.io/library/busybox.</summary>
    public string FamiliarRepository =>
        Domain != DockerHubDomain ? Repository
        : Path.StartsWith("library/", StringComparison.Ordinal) && Path.IndexOf('/', 8) < 0 ? Path[8..]
        : Path;

    /// <summary>Tag or digest, as the registry API wants it for a manifest request.</summary>
    public string ManifestReference => Digest ?? Tag ?? DefaultTag;

    /// <summary>repository:tag, tag defaulted: the name an image is stored under.</summary>
    public string TaggedName => Repository + ":" + (Tag ?? DefaultTag);

    public override string ToString() =>
        Repository + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);

    /// <summary>Parses and normalizes; a missing tag stays missing (see <see cref="WithDefaultTag"/>).</summary>
    public static ImageReference Parse(string text)
    {
        if (TryParse(text, out var reference, out var error)) return reference;
        throw new FormatException(error);
    }

    public ImageReference WithDefaultTag() => Tag is null && Digest is null ? this with { Tag = DefaultTag } : this;

    public static bool TryParse(string text, out ImageReference reference, out string error)
    {
        reference = null!;
        error = "";
        if (string.IsNullOrEmpty(text)) { error = "invalid reference format: empty"; return false; }
        if (text.Length > 1024) { error = "invalid reference format: longer than 1024 characters"; return false; }

        string rest = text;
        string? digest = null, tag = null;
        int at = rest.IndexOf('@');
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
            if (!Content.Digest.TryParse(digest, out _))
            { error = $"invalid reference format: bad digest in \"{Clip(text)}\""; return false; }
        }
        int lastSlash = rest.LastIndexOf('/');
        int colon = rest.LastIndexOf(':');
        if (colon > lastSlash)
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!IsTag(tag)) { error = $"invalid reference format: bad tag \"{Clip(tag)}\""; return false; }
        }

        string domain = DockerHubDomain, path = rest;
        int slash = rest.IndexOf('/');
        if (slash >= 0)
        {
            string first = rest[..slash];
            if (first.Contains('.') || first.Contains(':') || first == "localhost" || first != first.ToLowerInvariant())
            {
                domain = first;
                path = rest[(slash + 1)..];
                if (!IsDomain(domain)) { error = $"invalid reference format: bad registry host \"{Clip(domain)}\""; return false; }
            }
        }
        if (domain == "index.docker.io") domain = DockerHubDomain;
        if (path.Length == 0 || !IsPath(path))
        {
            error = path != path.ToLowerInvariant()
                ? $"invalid reference format: repository name must be lowercase: \"{Clip(text)}\""
                : $"invalid reference format: \"{Clip(text)}\"";
            return false;
        }
        if (domain == DockerHubDomain && !path.Contains('/')) path = "library/" + path;
        if (domain.Length + 1 + path.Length > MaxNameLength)
        { error = $"invalid reference format: repository name longer than {MaxNameLength} characters"; return false; }

        reference = new ImageReference { Domain = domain, Path = path, Tag = tag, Digest = digest };
        return true;
    }

    /// <summary>A 64-hex-digit string that docker would take as an image id, not a name.</summary>
    public static bool LooksLikeId(string text) =>
        text.Length == 64 && text.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    private static bool IsTag(string tag)
    {
        if (tag.Length is 0 or > 128) return false;
        if (!(char.IsAsciiLetterOrDigit(tag[0]) || tag[0] == '_')) return false;
        foreach (char c in tag)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-')) return false;
        return true;
    }

    // path-component: [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
    private static bool IsPath(string path)
    {
        foreach (var component in path.Split('/'))
        {
            if (component.Length == 0) return false;
            int i = 0;
            while (true)
            {
                int start = i;
                while (i < component.Length && IsLowerAlnum(component[i])) i++;
                if (i == start) return false;
                if (i == component.Length) break;
                int sepStart = i;
                if (component[i] == '.') i++;
                else if (component[i] == '_') { i++; if (i < component.Length && component[i] == '_') i++; }
                else if (component[i] == '-') { while (i < component.Length && component[i] == '-') i++; }
                else return false;
                if (i == component.Length || i == sepStart) return false;
            }
        }
        return true;
    }

    private static bool IsLowerAlnum(char c) => c is >= 'a' and <= 'z' or >= '0' and <= '9';

    // host[:port]: labels of letters, digits and '-', or a bracketed IPv6 address.
    private static bool IsDomain(string domain)
    {
        string host = domain;
        int colon = domain.LastIndexOf(':');
        if (domain.StartsWith('['))
        {
            int close = domain.IndexOf(']');
            if (close < 0) return false;
            host = domain[..(close + 1)];
            string after = domain[(close + 1)..];
            return after.Length == 0 || (after[0] == ':' && IsPort(after[1..]));
        }
        if (colon >= 0)
        {
            if (!IsPort(domain[(colon + 1)..])) return false;
            host = domain[..colon];
        }
        if (host.Length == 0) return false;
        foreach (var label in host.Split('.'))
        {
            if (label.Length == 0 || label[0] == '-' || label[^1] == '-') return false;
            foreach (char c in label)
                if (!(char.IsAsciiLetterOrDigit(c) || c == '-')) return false;
        }
        return true;
    }

    private static bool IsPort(string port) =>
        port.Length is > 0 and <= 5 && port.All(char.IsAsciiDigit);

    private static string Clip(string s) => s.Length > 80 ? s[..80] + "…" : s;
}
