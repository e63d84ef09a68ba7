using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Berth.Images.Registry;

/// <summary>
/// Answers registries' challenges. A request goes out with whatever authorization is already known
/// for its registry and scope; a 401 brings a WWW-Authenticate challenge, which is remembered per
/// registry: Basic sends the stored login with every request; Bearer fetches a token from the realm
/// (with the login as Basic credentials, anonymously without one) for exactly the scopes the
/// operation needs, and caches it per (registry, scopes) until shortly before it expires.
/// The scope a challenge names is not used: the client knows what each operation needs.
/// </summary>
internal sealed class RegistryAuth(HttpClient http, RegistryOptions options)
{
    private const int MaxTokenResponse = 1 << 20;

    private readonly ConcurrentDictionary<string, AuthChallenge> _challenges = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CachedToken> _tokens = new(StringComparer.Ordinal);

    private sealed record CachedToken(string Token, DateTime ExpiresUtc);

    public Credential? CredentialFor(RegistryEndpoint ep) => options.Credentials?.Get(ep.Domain);

    /// <summary>The Authorization to send before any challenge: null until the registry has asked for one.</summary>
    public async ValueTask<AuthenticationHeaderValue?> KnownAuthorizationAsync(RegistryEndpoint ep, string[] scopes, CancellationToken ct)
    {
        if (!_challenges.TryGetValue(ep.Domain, out var challenge)) return null;
        var credential = CredentialFor(ep);
        if (challenge.IsBasic) return credential is null ? null : Basic(credential);
        if (_tokens.TryGetValue(TokenKey(ep, scopes), out var cached) && cached.ExpiresUtc > DateTime.UtcNow)
            return new AuthenticationHeaderValue("Bearer", cached.Token);
        return new AuthenticationHeaderValue("Bearer", await FetchTokenAsync(ep, challenge, scopes, credential, ct));
    }

    /// <summary>
    /// After a 401: remembers the registry's challenge and returns fresh authorization for a retry, or
    /// throws the one-line reason there is none (no login, wrong login, unsupported scheme).
    /// </summary>
    public async Task<AuthenticationHeaderValue> AnswerAsync(RegistryEndpoint ep, IReadOnlyList<AuthChallenge> challenges,
        string[] scopes, CancellationToken ct)
    {
        var challenge = Choose(ep, challenges);
        _challenges[ep.Domain] = challenge;
        var credential = CredentialFor(ep);
        if (challenge.IsBasic)
            return credential is null ? throw LoginRequired(ep) : Basic(credential);
        return new AuthenticationHeaderValue("Bearer", await FetchTokenAsync(ep, challenge, scopes, credential, ct));
    }

    /// <summary>What to say when the registry still refuses a request after its challenge was answered.</summary>
    public RegistryException Refused(RegistryEndpoint ep, string repository, string? detail, HttpStatusCode status)
    {
        bool loggedIn = CredentialFor(ep) is not null;
        _challenges.TryGetValue(ep.Domain, out var challenge);
        if (loggedIn && challenge is { IsBasic: true }) return WrongLogin(ep);
        string why = detail is null ? "" : ": " + detail;
        return loggedIn
            ? new RegistryException($"denied: access to {repository} refused{why}", status)
            : new RegistryException($"access denied to {repository}: the repository does not exist or needs a login (berth login {ep.Domain}){why}", status);
    }

    public static AuthChallenge Choose(RegistryEndpoint ep, IReadOnlyList<AuthChallenge> challenges)
    {
        if (challenges.FirstOrDefault(c => c.IsBearer) is { } bearer) return bearer;
        if (challenges.FirstOrDefault(c => c.IsBasic) is { } basic) return basic;
        string schemes = challenges.Count == 0 ? "none" : string.Join(", ", challenges.Select(c => c.Scheme));
        throw new RegistryException($"registry {ep.Domain} asks for authentication berth does not support (WWW-Authenticate: {schemes})",
            HttpStatusCode.Unauthorized);
    }

    public static AuthenticationHeaderValue Basic(Credential c) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(c.Username + ":" + c.Password)));

    public static RegistryException WrongLogin(RegistryEndpoint ep) =>
        new($"unauthorized: wrong username or password for {ep.Domain}", HttpStatusCode.Unauthorized);

    public static RegistryException LoginRequired(RegistryEndpoint ep) =>
        new($"unauthorized: {ep.Domain} requires a login (berth login {ep.Domain})", HttpStatusCode.Unauthorized);

    /// <summary>
    /// GET realm?service=S&amp;scope=A&amp;scope=B, with Basic credentials when there is a login; the token
    /// is cached unless <paramref name="cache"/> is false (a login check).
    /// </summary>
    public async Task<string> FetchTokenAsync(RegistryEndpoint ep, AuthChallenge challenge, string[] scopes,
        Credential? credential, CancellationToken ct, bool cache = true)
    {
        string? realm = challenge["realm"];
        if (realm is null || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri) ||
            (realmUri.Scheme != Uri.UriSchemeHttps && realmUri.Scheme != Uri.UriSchemeHttp))
            throw new RegistryException($"registry {ep.Domain} sent a Bearer challenge without a usable realm: \"{RegistryException.OneLine(realm ?? "")}\"");
        if (credential is not null && realmUri.Scheme == Uri.UriSchemeHttp &&
            !RegistryEndpoint.AllowsPlainHttp(realmUri.Authority, options.InsecureRegistries))
            throw new RegistryException($"refusing to send the login for {ep.Domain} over plain http to {realmUri.Authority}");

        var query = new StringBuilder(realmUri.Query.Length == 0 ? "?" : realmUri.Query + "&");
        if (challenge["service"] is { } service) query.Append("service=").Append(Uri.EscapeDataString(service)).Append('&');
        foreach (string scope in scopes) query.Append("scope=").Append(Uri.EscapeDataString(scope)).Append('&');
        var tokenUri = new UriBuilder(realmUri) { Query = query.ToString(0, query.Length - 1).TrimStart('?') }.Uri;

        using var request = new HttpRequestMessage(HttpMethod.Get, tokenUri);
        if (credential is not null) request.Headers.Authorization = Basic(credential);
        HttpResponseMessage response;
        try { response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct); }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            throw new RegistryException($"cannot reach the token server of {ep.Domain} ({realmUri.Authority}): {RegistryClient.Describe(e)}", inner: e)
            { IsTransient = true };
        }
        using (response)
        {
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                throw credential is null ? LoginRequired(ep) : WrongLogin(ep);
            if (!response.IsSuccessStatusCode)
            {
                string? detail = await RegistryClient.ReadErrorDetailAsync(response, ct);
                throw new RegistryException(
                    $"token server of {ep.Domain} ({realmUri.Authority}) answered HTTP {(int)response.StatusCode}{(detail is null ? "" : ": " + detail)}",
                    response.StatusCode) { IsTransient = RegistryClient.IsTransientStatus(response.StatusCode) };
            }
            byte[] body = await RegistryClient.ReadBoundedAsync(response.Content, MaxTokenResponse,
                $"token from {realmUri.Authority}", ct);
            TokenResponse? parsed;
            try { parsed = JsonSerializer.Deserialize(body, RegistryJsonContext.Default.TokenResponse); }
            catch (JsonException e)
            {
                throw new RegistryException($"token server of {ep.Domain} sent invalid JSON: {e.Message}", inner: e);
            }
            string? token = !string.IsNullOrEmpty(parsed?.Token) ? parsed.Token : parsed?.AccessToken;
            if (string.IsNullOrEmpty(token))
                throw new RegistryException($"token server of {ep.Domain} sent no token");
            if (cache)
            {
                // The spec's default lifetime is 60 s; keep a margin for the clock and the request's flight.
                double seconds = parsed!.ExpiresIn is double s && s > 0 ? s : 60;
                var expires = DateTime.UtcNow.AddSeconds(Math.Max(seconds - Math.Min(30, seconds / 4), 1));
                _tokens[TokenKey(ep, scopes)] = new CachedToken(token, expires);
            }
            return token;
        }
    }

    private static string TokenKey(RegistryEndpoint ep, string[] scopes) =>
        ep.Domain + " " + string.Join(' ', scopes.Order(StringComparer.Ordinal));
}
