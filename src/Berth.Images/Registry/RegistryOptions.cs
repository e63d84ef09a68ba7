using Berth.Images.Content;

namespace Berth.Images.Registry;

/// <summary>How a <see cref="RegistryClient"/> talks to registries.</summary>
public sealed record RegistryOptions
{
    /// <summary>Registries ("host[:port]", or "host" for any port) allowed over plain http, besides loopback.</summary>
    public IReadOnlyCollection<string> InsecureRegistries { get; init; } = [];

    /// <summary>Logins to use; anonymous access when null or when a registry has no entry.</summary>
    public CredentialStore? Credentials { get; init; }

    public string UserAgent { get; init; } = "berth";

    /// <summary>
    /// Blobs up to this size are pushed in one PUT; larger ones in PATCH chunks of this size, each of
    /// which is held in memory while it is sent.
    /// </summary>
    public int ChunkSize { get; init; } = 16 << 20;

    /// <summary>How long a blob stream may go without receiving a byte before it counts as broken and resumes.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// A manifest or index as the registry sent it: the exact bytes (digests are over them), the media
/// type (from Content-Type, or from the document when the header is generic) and the verified digest.
/// </summary>
public sealed record FetchedManifest(byte[] Bytes, string MediaType, Digest Digest);
