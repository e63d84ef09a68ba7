using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.IntegrationTests.Images;

/// <summary>
/// The tests' token server (Docker token authentication spec) for a registry configured with
/// <c>auth: token</c>: GET /token?service=S&amp;scope=repository:NAME:ACTIONS checks the Basic login and
/// answers a JWT signed RS256 whose x5c header carries a self-signed certificate; the registry trusts
/// it because that certificate is its rootcertbundle. A login gets the actions it asks for; anonymous
/// callers get pull only (when <see cref="AllowAnonymousPull"/>); a wrong login gets 401.
/// </summary>
public sealed class TokenServer : IDisposable
{
    public const string Service = "berth-test-registry";
    public const string Issuer = "berth-test-issuer";

    private readonly string _user, _password;
    private readonly HttpListener _listener = new();
    private readonly RSA _key = RSA.Create(2048);
    private readonly X509Certificate2 _certificate;
    private readonly Task _loop;
    private int _issued;

    public TokenServer(string user, string password)
    {
        _user = user;
        _password = password;
        var request = new CertificateRequest("CN=berth test token issuer", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        for (int attempt = 1; ; attempt++)
        {
            int port = RegistryServer.FreePort();
            Realm = $"http://127.0.0.1:{port}/token";
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 3) { }
        }
        _loop = Task.Run(ServeAsync);
    }

    public string Realm { get; private set; }
    public string CertificatePem => _certificate.ExportCertificatePem();
    public bool AllowAnonymousPull { get; set; } = true;
    /// <summary>Answer with "access_token" only, as OAuth2-style servers do, instead of "token".</summary>
    public bool AccessTokenFieldOnly { get; set; }
    public int TokensIssued => Volatile.Read(ref _issued);
    /// <summary>Each request's scopes, joined by spaces.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    private async Task ServeAsync()
    {
        while (true)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            _ = Task.Run(() => Handle(context));
        }
    }

    private void Handle(HttpListenerContext context)
    {
        using var response = context.Response;
        var query = context.Request.QueryString;
        string[] scopes = query.GetValues("scope") ?? [];
        Requests.Enqueue(string.Join(' ', scopes));
        string? subject = null;
        string? authorization = context.Request.Headers["Authorization"];
        if (authorization is not null)
        {
            string given = authorization.StartsWith("Basic ", StringComparison.Ordinal)
                ? Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..])) : "";
            if (given != _user + ":" + _password)
            {
                Answer(response, 401, """{"details":"incorrect username or password"}""");
                return;
            }
            subject = _user;
        }
        else if (!AllowAnonymousPull)
        {
            Answer(response, 401, """{"details":"login required"}""");
            return;
        }
        if (query["service"] != Service)
        {
            Answer(response, 400, """{"details":"unknown service"}""");
            return;
        }
        var access = new JsonArray();
        foreach (string scope in scopes)
        {
            int first = scope.IndexOf(':'), last = scope.LastIndexOf(':');
            if (first < 0 || last == first) continue;
            var actions = scope[(last + 1)..].Split(',').Where(a => subject is not null || a == "pull").ToArray();
            access.Add(new JsonObject
            {
                ["type"] = scope[..first],
                ["name"] = scope[(first + 1)..last],
                ["actions"] = new JsonArray(actions.Select(a => (JsonNode)JsonValue.Create(a)).ToArray()),
            });
        }
        string token = Jwt(subject ?? "", access);
        Interlocked.Increment(ref _issued);
        var body = new JsonObject { ["expires_in"] = 300, ["issued_at"] = DateTime.UtcNow.ToString("o") };
        body[AccessTokenFieldOnly ? "access_token" : "token"] = token;
        Answer(response, 200, body.ToJsonString());
    }

    private string Jwt(string subject, JsonArray access)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new JsonObject
        {
            ["alg"] = "RS256",
            ["typ"] = "JWT",
            ["x5c"] = new JsonArray(Convert.ToBase64String(_certificate.RawData)),
        };
        var claims = new JsonObject
        {
            ["iss"] = Issuer,
            ["sub"] = subject,
            ["aud"] = Service,
            ["exp"] = now + 300,
            ["nbf"] = now - 10,
            ["iat"] = now,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["access"] = access,
        };
        string signingInput = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        byte[] signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url(signature);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static void Answer(HttpListenerResponse response, int status, string json)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        byte[] bytes = Encoding.UTF8.GetBytes(json);
        response.ContentLength64 = bytes.Length;
        response.OutputStream.Write(bytes);
    }

    public void Dispose()
    {
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
        _certificate.Dispose();
        _key.Dispose();
    }
}
