using Berth.Images.References;

namespace Berth.Images.Registry;

/// <summary>
/// Where a registry's API is reached. <see cref="Domain"/> is the registry as image references name it
/// ("docker.io", "127.0.0.1:5000"); <see cref="BaseUri"/> is what requests go to. Docker Hub's API lives
/// on registry-1.docker.io and its credentials are filed under "https://index.docker.io/v1/".
/// Plain http is used only for the loopback names (127.0.0.1, localhost, ::1) and for the registries
/// listed as insecure ("host:port" matches that port only, "host" any port); everything else is https,
/// checked against the system's CA store.
/// </summary>
public sealed record RegistryEndpoint
{
    public const string DockerHubApiHost = "registry-1.docker.io";
    public const string DockerHubCredentialKey = "https://index.docker.io/v1/";

    public required string Domain { get; init; }
    public required Uri BaseUri { get; init; }

    public bool IsPlainHttp => BaseUri.Scheme == Uri.UriSchemeHttp;

    /// <summary>The key of this registry's entry in docker's config.json.</summary>
    public string CredentialKey => Domain == ImageReference.DockerHubDomain ? DockerHubCredentialKey : Domain;

    public static RegistryEndpoint For(string registry, IReadOnlyCollection<string> insecureRegistries)
    {
        string domain = Normalize(registry);
        string host = domain == ImageReference.DockerHubDomain ? DockerHubApiHost : domain;
        string scheme = AllowsPlainHttp(domain, insecureRegistries) ? Uri.UriSchemeHttp : Uri.UriSchemeHttps;
        if (!Uri.TryCreate($"{scheme}://{host}/", UriKind.Absolute, out var uri) || uri.PathAndQuery != "/")
            throw new RegistryException($"invalid registry host \"{RegistryException.OneLine(registry, 100)}\"");
        return new RegistryEndpoint { Domain = domain, BaseUri = uri };
    }

    /// <summary>
    /// The registry name as references use it, from what a user or a config.json key may say:
    /// "https://index.docker.io/v1/", "index.docker.io" and "registry-1.docker.io" are all "docker.io";
    /// a scheme and a path are dropped ("http://host:5000/v2/" is "host:5000").
    /// </summary>
    public static string Normalize(string registry)
    {
        string s = registry.Trim();
        int scheme = s.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) s = s[(scheme + 3)..];
        int slash = s.IndexOf('/');
        if (slash >= 0) s = s[..slash];
        s = s.ToLowerInvariant();
        return s is "index.docker.io" or DockerHubApiHost ? ImageReference.DockerHubDomain : s;
    }

    /// <summary>Whether <paramref name="hostPort"/> ("host[:port]") may be spoken to over plain http.</summary>
    public static bool AllowsPlainHttp(string hostPort, IReadOnlyCollection<string> insecureRegistries)
    {
        string authority = Normalize(hostPort);
        string host = HostOf(authority);
        if (host is "127.0.0.1" or "localhost" or "::1") return true;
        foreach (string entry in insecureRegistries)
        {
            string e = Normalize(entry);
            if (e == authority) return true;
            bool hasPort = e.Trim('[', ']') != HostOf(e);
            if (!hasPort && HostOf(e) == host) return true; // an entry without port: any port of that host
        }
        return false;
    }

    /// <summary>The host of "host[:port]" or "[v6]:port", without brackets.</summary>
    private static string HostOf(string authority)
    {
        if (authority.StartsWith('['))
        {
            int close = authority.IndexOf(']');
            return close < 0 ? authority : authority[1..close];
        }
        int colon = authority.LastIndexOf(':');
        // More than one colon and no brackets: a bare IPv6 address, without port.
        if (colon < 0 || authority.IndexOf(':') != colon) return authority;
        return authority[..colon];
    }
}
