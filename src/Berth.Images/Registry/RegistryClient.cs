using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Berth.Images.Content;
using Berth.Images.Manifests;
using Berth.Images.References;

namespace Berth.Images.Registry;

/// <summary>
/// A client of the OCI distribution API (/v2/), the protocol of Docker Hub and of every registry.
///
/// <para><b>Addressing.</b> Each call names a repository by an <see cref="ImageReference"/>, of which only
/// <see cref="ImageReference.Domain"/> and <see cref="ImageReference.Path"/> are used (tag and digest are
/// ignored: manifest calls take the tag or digest separately). See <see cref="RegistryEndpoint"/> for
/// the host and scheme a domain maps to.</para>
///
/// <para><b>Authentication.</b> Requests go out without credentials until a registry answers 401; its
/// WWW-Authenticate challenge then decides, for the rest of the client's life: Basic sends the login
/// from <see cref="RegistryOptions.Credentials"/>; Bearer gets a token for the operation's scope
/// (repository:NAME:pull, or pull,push to push) from the challenge's realm, with the login if there is
/// one, and caches it until it expires. A request is retried once after its challenge is answered.</para>
///
/// <para><b>Trust.</b> Manifests are verified: against the digest asked for, and against the registry's
/// Docker-Content-Digest header when it sends one; they must be JSON of at most 4 MiB, which is checked
/// before they are read into memory. Blob streams are not verified here: the caller hashes what it
/// reads (it has to store it anyway), and the stream guarantees it hands out each byte of the blob
/// once, in order, never more than the size the descriptor gave.</para>
///
/// <para><b>Errors.</b> Every failure the registry or the network causes is a <see cref="RegistryException"/>
/// with a one-line message for the user ("manifest unknown: busybox:nope not found", "cannot reach
/// registry 127.0.0.1:5000: Connection refused"); a wrong argument is an <see cref="ArgumentException"/>.</para>
///
/// <para>The client is safe to use from several threads: pulls open several blob streams at once, over
/// pooled connections.</para>
/// </summary>
public sealed class RegistryClient : IDisposable
{
    /// <summary>The largest manifest or index accepted (distribution's own limit).</summary>
    public const int MaxManifestSize = 4 << 20;
    private const int MaxErrorBody = 64 << 10;
    private static readonly MediaTypeHeaderValue OctetStream = new("application/octet-stream");

    private readonly RegistryOptions _options;
    private readonly HttpClient _http;
    private readonly RegistryAuth _auth;

    public RegistryClient(RegistryOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.ChunkSize);
        _options = options;
        var handler = new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.None, // blobs are hashed as sent
            ConnectTimeout = TimeSpan.FromSeconds(10),
            UseProxy = false,
            UseCookies = false,
            // Blob GETs may be redirected to storage; the handler drops Authorization on the way.
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = 5,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        // No overall timeout: a blob takes as long as it takes. Connects time out, stalled blob reads
        // resume, and callers cancel.
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", options.UserAgent);
        _auth = new RegistryAuth(_http, options);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>
    /// Fetches a manifest or index by tag or digest, accepting <see cref="MediaTypes.ManifestAccept"/>.
    /// </summary>
    public async Task<FetchedManifest> GetManifestAsync(ImageReference repo, string reference, CancellationToken ct)
    {
        var ep = EndpointOf(repo);
        bool byDigest = CheckReference(reference, out var wanted);
        string name = DisplayName(repo, reference);
        var uri = new Uri(ep.BaseUri, $"v2/{repo.Path}/manifests/{reference}");
        using var response = await SendAsync(ep, PullScope(repo), repo.FamiliarRepository, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, uri);
            foreach (string type in MediaTypes.ManifestAccept) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
            return request;
        }, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
            throw new RegistryException($"manifest unknown: {name} not found", HttpStatusCode.NotFound);
        if (!response.IsSuccessStatusCode) throw await FailureAsync(ep, response, $"fetching manifest {name}", ct);

        byte[] bytes = await ReadBoundedAsync(response.Content, MaxManifestSize, $"manifest {name}", ct);
        if (byDigest)
        {
            var actual = DigestOf(wanted.Algorithm, bytes);
            if (actual != wanted) throw new RegistryException($"manifest {name}: the registry sent content whose digest is {actual}");
        }
        if (response.Headers.NonValidated.TryGetValues("Docker-Content-Digest", out var values))
        {
            string header = values.ToString().Trim();
            if (!Digest.TryParse(header, out var claimed))
                throw new RegistryException($"manifest {name}: invalid Docker-Content-Digest \"{RegistryException.OneLine(header, 100)}\"");
            if (DigestOf(claimed.Algorithm, bytes) != claimed)
                throw new RegistryException($"manifest {name}: the content does not match the registry's Docker-Content-Digest {claimed}");
        }
        string mediaType = MediaTypeOf(response.Content.Headers.ContentType?.MediaType, bytes, name);
        return new FetchedManifest(bytes, mediaType, byDigest ? wanted : Digest.Of(bytes));
    }

    /// <summary>
    /// Opens a blob for reading from <paramref name="offset"/> (a Range request when it is not 0). The
    /// stream resumes after broken transfers (see the class comment); <paramref name="size"/> is the
    /// descriptor's, and the registry must agree with it.
    /// </summary>
    public async Task<Stream> OpenBlobAsync(ImageReference repo, Digest digest, long size, long offset, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, size);
        var ep = EndpointOf(repo);
        var stream = new ResumableBlobStream((at, c) => OpenBlobBodyAsync(ep, repo, digest, size, at, c),
            size, offset, _options.StallTimeout, $"blob {digest} of {repo.FamiliarRepository}");
        try { await stream.StartAsync(ct); }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
        return stream;
    }

    public Task<bool> BlobExistsAsync(ImageReference repo, Digest digest, CancellationToken ct) =>
        BlobExistsAsync(EndpointOf(repo), repo, digest, PullScope(repo), ct);

    /// <summary>
    /// Pushes a blob unless the repository has it already: mounted from <paramref name="mountFromRepository"/>
    /// (a repository path of the same registry, e.g. "library/busybox") when given and the registry
    /// agrees, else uploaded: in one PUT up to <see cref="RegistryOptions.ChunkSize"/>, in PATCH chunks
    /// beyond. <paramref name="open"/> gives the blob's bytes; it is called again if a request must be
    /// repeated, and the stream is disposed after use.
    /// </summary>
    public async Task PushBlobAsync(ImageReference repo, Digest digest, long size, Func<Stream> open,
        string? mountFromRepository, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var ep = EndpointOf(repo);
        string what = $"pushing blob {digest} to {repo.FamiliarRepository}";
        bool mount = mountFromRepository is not null && mountFromRepository != repo.Path;
        if (mount && !ImageReference.TryParse("x.invalid/" + mountFromRepository, out _, out _))
            throw new ArgumentException($"invalid repository \"{mountFromRepository}\" to mount from", nameof(mountFromRepository));
        string[] scopes = mount
            ? [$"repository:{repo.Path}:pull,push", $"repository:{mountFromRepository}:pull"]
            : PushScope(repo);
        if (await BlobExistsAsync(ep, repo, digest, scopes, ct)) return;

        var uploads = new Uri(ep.BaseUri, $"v2/{repo.Path}/blobs/uploads/");
        var start = mount
            ? new Uri(uploads, $"?mount={Uri.EscapeDataString(digest.ToString())}&from={Uri.EscapeDataString(mountFromRepository!)}")
            : uploads;
        Uri upload;
        using (var response = await SendAsync(ep, scopes, repo.FamiliarRepository, () => new HttpRequestMessage(HttpMethod.Post, start), ct))
        {
            if (mount && response.StatusCode == HttpStatusCode.Created)
            {
                CheckDigestHeader(response, digest, what);
                return;
            }
            // A registry that does not mount answers like a plain upload start: 202 and a Location.
            if (response.StatusCode != HttpStatusCode.Accepted) throw await FailureAsync(ep, response, what, ct);
            upload = UploadLocation(ep, response, what);
        }
        try
        {
            upload = size <= _options.ChunkSize ? upload : await PatchChunksAsync(ep, scopes, repo, upload, size, open, what, ct);
            var finish = WithQuery(upload, "digest", digest.ToString());
            using var response = await SendAsync(ep, scopes, repo.FamiliarRepository, () => new HttpRequestMessage(HttpMethod.Put, finish)
            {
                Content = size <= _options.ChunkSize ? SizedContent(open(), size) : new ByteArrayContent([]),
            }, ct);
            if (response.StatusCode != HttpStatusCode.Created) throw await FailureAsync(ep, response, what, ct);
            CheckDigestHeader(response, digest, what);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await CancelUploadAsync(ep, scopes, repo, upload);
            throw;
        }
    }

    /// <summary>Stores a manifest under a tag or its digest; returns its digest.</summary>
    public async Task<Digest> PutManifestAsync(ImageReference repo, string reference, string mediaType, byte[] bytes, CancellationToken ct)
    {
        if (bytes.Length > MaxManifestSize)
            throw new ArgumentException($"manifest of {bytes.Length} bytes: registries take at most {MaxManifestSize}", nameof(bytes));
        if (!MediaTypeHeaderValue.TryParse(mediaType, out var contentType))
            throw new ArgumentException($"invalid media type \"{mediaType}\"", nameof(mediaType));
        var ep = EndpointOf(repo);
        bool byDigest = CheckReference(reference, out var named);
        string name = DisplayName(repo, reference);
        var digest = byDigest ? named : Digest.Of(bytes);
        if (byDigest && DigestOf(named.Algorithm, bytes) != named)
            throw new ArgumentException($"manifest for {name}: the bytes do not match that digest", nameof(bytes));
        var uri = new Uri(ep.BaseUri, $"v2/{repo.Path}/manifests/{reference}");
        using var response = await SendAsync(ep, PushScope(repo), repo.FamiliarRepository, () => new HttpRequestMessage(HttpMethod.Put, uri)
        {
            Content = new ByteArrayContent(bytes) { Headers = { ContentType = contentType } },
        }, ct);
        if (response.StatusCode != HttpStatusCode.Created) throw await FailureAsync(ep, response, $"pushing manifest {name}", ct);
        CheckDigestHeader(response, digest, $"pushing manifest {name}");
        return digest;
    }

    /// <summary>
    /// The login check of "berth login": returns when <paramref name="registry"/> accepts the user name
    /// and password (or needs no login at all), throws a <see cref="RegistryException"/> saying why not.
    /// Uses neither the credential store nor the client's cached tokens.
    /// </summary>
    public async Task CheckLoginAsync(string registry, string user, string password, CancellationToken ct)
    {
        var ep = RegistryEndpoint.For(registry, _options.InsecureRegistries);
        var credential = new Credential(user, password);
        var ping = new Uri(ep.BaseUri, "v2/");
        AuthChallenge challenge;
        using (var response = await SendOnceAsync(ep, () => new HttpRequestMessage(HttpMethod.Get, ping), null, ct))
        {
            if (response.IsSuccessStatusCode) return;
            if (response.StatusCode != HttpStatusCode.Unauthorized)
                throw await FailureAsync(ep, response, $"checking the login for {ep.Domain}", ct);
            challenge = RegistryAuth.Choose(ep, AuthChallenge.FromResponse(response));
        }
        var authorization = challenge.IsBasic
            ? RegistryAuth.Basic(credential)
            : new AuthenticationHeaderValue("Bearer", await _auth.FetchTokenAsync(ep, challenge, [], credential, ct, cache: false));
        using (var response = await SendOnceAsync(ep, () => new HttpRequestMessage(HttpMethod.Get, ping), authorization, ct))
        {
            if (response.IsSuccessStatusCode) return;
            if (response.StatusCode == HttpStatusCode.Unauthorized)
                throw challenge.IsBasic
                    ? RegistryAuth.WrongLogin(ep)
                    : new RegistryException($"unauthorized: {ep.Domain} refused the token its token server issued for {user}", HttpStatusCode.Unauthorized);
            throw await FailureAsync(ep, response, $"checking the login for {ep.Domain}", ct);
        }
    }

    // ---- requests ----

    private RegistryEndpoint EndpointOf(ImageReference repo) => RegistryEndpoint.For(repo.Domain, _options.InsecureRegistries);

    private static string[] PullScope(ImageReference repo) => [$"repository:{repo.Path}:pull"];
    private static string[] PushScope(ImageReference repo) => [$"repository:{repo.Path}:pull,push"];

    /// <summary>
    /// Sends a request made by <paramref name="create"/> with the authorization known for the registry;
    /// after a 401, answers the challenge and sends a new request once more. The caller disposes the response.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(RegistryEndpoint ep, string[] scopes, string repository,
        Func<HttpRequestMessage> create, CancellationToken ct)
    {
        var authorization = await _auth.KnownAuthorizationAsync(ep, scopes, ct);
        var response = await SendOnceAsync(ep, create, authorization, ct);
        if (response.StatusCode != HttpStatusCode.Unauthorized) return response;
        IReadOnlyList<AuthChallenge> challenges;
        using (response) challenges = AuthChallenge.FromResponse(response);

        authorization = await _auth.AnswerAsync(ep, challenges, scopes, ct);
        response = await SendOnceAsync(ep, create, authorization, ct);
        if (response.StatusCode != HttpStatusCode.Unauthorized) return response;
        using (response) throw _auth.Refused(ep, repository, await ReadErrorDetailAsync(response, ct), response.StatusCode);
    }

    private async Task<HttpResponseMessage> SendOnceAsync(RegistryEndpoint ep, Func<HttpRequestMessage> create,
        AuthenticationHeaderValue? authorization, CancellationToken ct)
    {
        using var request = create();
        // Credentials go to the registry only, never to another host an upload Location may name.
        if (authorization is not null && Uri.Compare(request.RequestUri, ep.BaseUri, UriComponents.SchemeAndServer,
                UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0)
            request.Headers.Authorization = authorization;
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            bool unreachable = e is OperationCanceledException || (e is HttpRequestException h &&
                h.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
                    or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError);
            string message = unreachable
                ? $"cannot reach registry {ep.Domain}: {Describe(e)}"
                : $"request to registry {ep.Domain} failed: {Describe(e)}";
            throw new RegistryException(message, inner: e) { IsTransient = true };
        }
    }

    private async Task<bool> BlobExistsAsync(RegistryEndpoint ep, ImageReference repo, Digest digest, string[] scopes, CancellationToken ct)
    {
        var uri = new Uri(ep.BaseUri, $"v2/{repo.Path}/blobs/{digest}");
        using var response = await SendAsync(ep, scopes, repo.FamiliarRepository, () => new HttpRequestMessage(HttpMethod.Head, uri), ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        if (!response.IsSuccessStatusCode) throw await FailureAsync(ep, response, $"checking blob {digest} in {repo.FamiliarRepository}", ct);
        return true;
    }

    private async Task<ResumableBlobStream.Body> OpenBlobBodyAsync(RegistryEndpoint ep, ImageReference repo, Digest digest,
        long size, long offset, CancellationToken ct)
    {
        string what = $"fetching blob {digest} of {repo.FamiliarRepository}";
        var uri = new Uri(ep.BaseUri, $"v2/{repo.Path}/blobs/{digest}");
        var response = await SendAsync(ep, PullScope(repo), repo.FamiliarRepository, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, uri);
            if (offset > 0) request.Headers.Range = new RangeHeaderValue(offset, null);
            return request;
        }, ct);
        try
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
                throw new RegistryException($"blob unknown: {digest} not found in {repo.FamiliarRepository}", HttpStatusCode.NotFound);
            if (!response.IsSuccessStatusCode) throw await FailureAsync(ep, response, what, ct);
            long skip = 0;
            if (response.StatusCode == HttpStatusCode.PartialContent)
            {
                var range = response.Content.Headers.ContentRange;
                if (range?.From != offset)
                    throw new RegistryException($"{what}: asked for the bytes from {offset}, the registry sent {range?.ToString() ?? "no Content-Range"}");
                if (range.Length is { } total && total != size)
                    throw new RegistryException($"{what}: the registry says the blob is {total} bytes, its descriptor {size}");
            }
            else
            {
                skip = offset; // the Range was ignored: the whole blob comes
            }
            long expected = size - offset + skip;
            if (response.Content.Headers.ContentLength is { } length && length != expected)
                throw new RegistryException($"{what}: the registry sends {length} bytes where {expected} were expected (blob size {size})");
            var content = await response.Content.ReadAsStreamAsync(ct);
            if (skip > 0) await SkipAsync(content, skip, ct);
            return new ResumableBlobStream.Body(response, content);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private static async Task SkipAsync(Stream stream, long count, CancellationToken ct)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            while (count > 0)
            {
                int n = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), ct);
                if (n == 0) throw new EndOfStreamException("the connection ended before the range asked for");
                count -= n;
            }
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    /// <summary>Sends a large blob as PATCH requests with Content-Range; returns the Location to finish at.</summary>
    private async Task<Uri> PatchChunksAsync(RegistryEndpoint ep, string[] scopes, ImageReference repo, Uri upload,
        long size, Func<Stream> open, string what, CancellationToken ct)
    {
        byte[] chunk = ArrayPool<byte>.Shared.Rent(_options.ChunkSize);
        try
        {
            await using var source = open();
            long sent = 0;
            while (sent < size)
            {
                int want = (int)Math.Min(_options.ChunkSize, size - sent);
                int n = await source.ReadAtLeastAsync(chunk.AsMemory(0, want), want, throwOnEndOfStream: false, ct);
                if (n < want) throw new RegistryException($"{what}: the blob's content ended at byte {sent + n} of {size}");
                var target = upload;
                string range = $"{sent}-{sent + n - 1}"; // the distribution spec's form, without "bytes "
                using (var response = await SendAsync(ep, scopes, repo.FamiliarRepository, () =>
                {
                    var content = new ByteArrayContent(chunk, 0, n);
                    content.Headers.ContentType = OctetStream;
                    content.Headers.TryAddWithoutValidation("Content-Range", range);
                    return new HttpRequestMessage(HttpMethod.Patch, target) { Content = content };
                }, ct))
                {
                    if (response.StatusCode != HttpStatusCode.Accepted) throw await FailureAsync(ep, response, what, ct);
                    upload = UploadLocation(ep, response, what);
                }
                sent += n;
            }
            return upload;
        }
        finally { ArrayPool<byte>.Shared.Return(chunk); }
    }

    // Best effort: an abandoned upload would otherwise linger in the registry until it expires.
    private async Task CancelUploadAsync(RegistryEndpoint ep, string[] scopes, ImageReference repo, Uri upload)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            using var _ = await SendAsync(ep, scopes, repo.FamiliarRepository, () => new HttpRequestMessage(HttpMethod.Delete, upload), cts.Token);
        }
        catch (Exception e) when (e is RegistryException or OperationCanceledException) { }
    }

    private static HttpContent SizedContent(Stream stream, long size)
    {
        var content = new StreamContent(stream);
        content.Headers.ContentLength = size;
        content.Headers.ContentType = OctetStream;
        return content;
    }

    private static Uri UploadLocation(RegistryEndpoint ep, HttpResponseMessage response, string what)
    {
        var location = response.Headers.Location
            ?? throw new RegistryException($"{what}: the registry sent no upload location");
        if (!location.IsAbsoluteUri) location = new Uri(response.RequestMessage!.RequestUri!, location);
        if (location.Scheme != Uri.UriSchemeHttps && (location.Scheme != Uri.UriSchemeHttp || !ep.IsPlainHttp))
            throw new RegistryException($"{what}: the registry sent an unusable upload location {RegistryException.OneLine(location.ToString(), 100)}");
        return location;
    }

    private static Uri WithQuery(Uri uri, string name, string value)
    {
        var builder = new UriBuilder(uri);
        string query = builder.Query.TrimStart('?');
        builder.Query = (query.Length == 0 ? "" : query + "&") + name + "=" + Uri.EscapeDataString(value);
        return builder.Uri;
    }

    private static void CheckDigestHeader(HttpResponseMessage response, Digest digest, string what)
    {
        if (!response.Headers.NonValidated.TryGetValues("Docker-Content-Digest", out var values)) return;
        string header = values.ToString().Trim();
        if (header != digest.ToString())
            throw new RegistryException($"{what}: the registry stored it as {RegistryException.OneLine(header, 100)}");
    }

    // ---- manifests ----

    /// <summary>Whether <paramref name="reference"/> is a digest (else it must be a tag).</summary>
    private static bool CheckReference(string reference, out Digest digest)
    {
        if (Digest.TryParse(reference, out digest)) return true;
        if (reference.Length is 0 or > 128 || !(char.IsAsciiLetterOrDigit(reference[0]) || reference[0] == '_') ||
            !reference.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
            throw new ArgumentException($"invalid tag or digest \"{RegistryException.OneLine(reference, 100)}\"", nameof(reference));
        return false;
    }

    private static string DisplayName(ImageReference repo, string reference) =>
        repo.FamiliarRepository + (reference.Contains(':') ? "@" : ":") + reference;

    private static Digest DigestOf(string algorithm, byte[] bytes) => algorithm switch
    {
        "sha256" => Digest.Of(bytes),
        "sha512" => Digest.Parse("sha512:" + Convert.ToHexStringLower(SHA512.HashData(bytes))),
        _ => throw new ArgumentException($"unsupported digest algorithm {algorithm}"),
    };

    /// <summary>
    /// The media type of a fetched manifest: Content-Type when it names a manifest type (and the
    /// document must not say otherwise), else the document's mediaType, else what its shape says.
    /// </summary>
    internal static string MediaTypeOf(string? contentType, byte[] bytes, string name)
    {
        string? declared;
        bool hasManifests, hasConfig;
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new RegistryException($"manifest {name} is not a JSON object");
            declared = root.TryGetProperty("mediaType", out var mt) && mt.ValueKind == JsonValueKind.String ? mt.GetString() : null;
            hasManifests = root.TryGetProperty("manifests", out _);
            hasConfig = root.TryGetProperty("config", out _);
        }
        catch (JsonException e)
        {
            throw new RegistryException($"manifest {name} is not valid JSON: {e.Message}", inner: e);
        }
        bool known = MediaTypes.IsIndex(contentType) || MediaTypes.IsManifest(contentType) ||
            contentType is MediaTypes.DockerSchema1 or MediaTypes.DockerSchema1Signed;
        if (known)
        {
            if (declared is not null && declared != contentType)
                throw new RegistryException($"manifest {name}: Content-Type says {contentType}, the document says {RegistryException.OneLine(declared, 100)}");
            return contentType!;
        }
        if (declared is not null) return declared;
        if (contentType is not (null or "" or "application/json" or "text/plain" or "application/octet-stream")) return contentType;
        if (hasManifests) return MediaTypes.OciIndex;
        if (hasConfig) return MediaTypes.OciManifest;
        throw new RegistryException($"manifest {name}: cannot tell its media type (Content-Type {contentType ?? "none"})");
    }

    // ---- bodies and errors ----

    /// <summary>Reads a body of at most <paramref name="limit"/> bytes; a larger one is refused unread.</summary>
    internal static async Task<byte[]> ReadBoundedAsync(HttpContent content, int limit, string what, CancellationToken ct)
    {
        long? declared = content.Headers.ContentLength;
        if (declared > limit) throw new RegistryException($"{what} is {declared} bytes, more than the limit of {limit}");
        var buffer = new MemoryStream(declared is { } d ? (int)d : 16 << 10);
        byte[] chunk = ArrayPool<byte>.Shared.Rent(16 << 10);
        try
        {
            await using var stream = await content.ReadAsStreamAsync(ct);
            while (true)
            {
                int n = await stream.ReadAsync(chunk, ct);
                if (n == 0) break;
                if (buffer.Length + n > limit) throw new RegistryException($"{what} is more than the limit of {limit} bytes");
                buffer.Write(chunk, 0, n);
            }
        }
        catch (IOException e)
        {
            throw new RegistryException($"reading {what}: {Describe(e)}", inner: e) { IsTransient = true };
        }
        finally { ArrayPool<byte>.Shared.Return(chunk); }
        if (declared is { } expected && buffer.Length != expected)
            throw new RegistryException($"reading {what}: {buffer.Length} bytes came, Content-Length said {expected}");
        return buffer.ToArray();
    }

    internal static bool IsTransientStatus(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int)status >= 500;

    private static async Task<RegistryException> FailureAsync(RegistryEndpoint ep, HttpResponseMessage response, string what, CancellationToken ct)
    {
        string? detail = await ReadErrorDetailAsync(response, ct);
        int status = (int)response.StatusCode;
        string kind = response.StatusCode switch
        {
            HttpStatusCode.Forbidden => "denied: ",
            HttpStatusCode.TooManyRequests => "too many requests: ",
            _ when status is >= 300 and < 400 => "too many redirects: ",
            _ => "",
        };
        return new RegistryException($"{kind}{what}: {ep.Domain} answered HTTP {status}{(detail is null ? "" : ": " + detail)}",
            response.StatusCode) { IsTransient = IsTransientStatus(response.StatusCode) };
    }

    /// <summary>
    /// What an error body says: the messages of an OCI error document (<c>{"errors":[{"code","message"}]}</c>),
    /// or a short plain-text body; null otherwise. Reads at most 64 KiB and never throws.
    /// </summary>
    internal static async Task<string?> ReadErrorDetailAsync(HttpResponseMessage response, CancellationToken ct)
    {
        byte[] body;
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            body = new byte[MaxErrorBody];
            int n = await stream.ReadAtLeastAsync(body, body.Length, throwOnEndOfStream: false, ct);
            Array.Resize(ref body, n);
        }
        catch (Exception e) when (e is IOException or HttpRequestException) { return null; }
        if (body.Length == 0) return null;
        try
        {
            var errors = JsonSerializer.Deserialize(body, RegistryJsonContext.Default.ErrorResponse)?.Errors;
            if (errors is { Length: > 0 })
            {
                var messages = errors.Select(e => !string.IsNullOrWhiteSpace(e.Message) ? e.Message
                    : e.Code?.ToLowerInvariant().Replace('_', ' ') ?? "").Where(m => m.Length > 0).Distinct().Take(3);
                string joined = string.Join("; ", messages);
                return joined.Length == 0 ? null : RegistryException.OneLine(joined);
            }
            return null;
        }
        catch (JsonException) { }
        if (response.Content.Headers.ContentType?.MediaType == "text/plain" && body.Length <= 200)
            return RegistryException.OneLine(Encoding.UTF8.GetString(body));
        return null;
    }

    /// <summary>An exception's message for a one-line error: the inner one when the outer only points to it.</summary>
    internal static string Describe(Exception e)
    {
        if (e is OperationCanceledException) return "timed out";
        var current = e;
        while (current.InnerException is { } inner &&
               (current.Message.Contains("inner exception", StringComparison.OrdinalIgnoreCase) || current is HttpRequestException && current.Message.Length == 0))
            current = inner;
        return RegistryException.OneLine(current.Message);
    }
}
