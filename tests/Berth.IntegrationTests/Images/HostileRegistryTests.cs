using System.Net;
using System.Text;
using Berth.Images.Content;
using Berth.Images.Manifests;
using Berth.Images.Registry;
using static Berth.IntegrationTests.Images.TestContent;

namespace Berth.IntegrationTests.Images;

/// <summary>
/// Servers that misbehave, on purpose or not: the client refuses what it must not trust and says why
/// in one line.
/// </summary>
[Collection("registry")]
public sealed class HostileRegistryTests : IDisposable
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));
    private readonly RegistryClient _client = new(new RegistryOptions());
    private CancellationToken Ct => _timeout.Token;

    public void Dispose()
    {
        _client.Dispose();
        _timeout.Dispose();
    }

    private static readonly byte[] GoodManifest = Manifest("{}"u8.ToArray(), [1, 2, 3]);

    private static Task Serve(HttpListenerContext c, byte[] body, string contentType = MediaTypes.OciManifest,
        Dictionary<string, string>? headers = null, bool chunked = false) =>
        FakeRegistry.WriteAsync(c.Response, 200, body, contentType, headers, chunked);

    [Fact]
    public async Task A_manifest_larger_than_4_MiB_is_refused_from_its_Content_Length()
    {
        using var server = new FakeRegistry(c => Serve(c, new byte[5 << 20]));
        var e = await Assert.ThrowsAsync<RegistryException>(() => _client.GetManifestAsync(Repo(server.Host, "big/one"), "latest", Ct));
        Assert.Equal($"manifest {server.Host}/big/one:latest is {5 << 20} bytes, more than the limit of {4 << 20}", e.Message);
    }

    [Fact]
    public async Task A_manifest_larger_than_4_MiB_without_length_is_refused_while_reading()
    {
        // Chunked: endless as far as the client knows. It stops reading at the limit.
        using var server = new FakeRegistry(async c =>
        {
            c.Response.SendChunked = true;
            c.Response.ContentType = MediaTypes.OciManifest;
            var block = new byte[64 << 10];
            for (int i = 0; i < 1024; i++) await c.Response.OutputStream.WriteAsync(block);
        });
        var e = await Assert.ThrowsAsync<RegistryException>(() => _client.GetManifestAsync(Repo(server.Host, "big/two"), "latest", Ct));
        Assert.Equal($"manifest {server.Host}/big/two:latest is more than the limit of {4 << 20} bytes", e.Message);
    }

    [Fact]
    public async Task A_manifest_that_is_not_JSON_is_refused()
    {
        using var server = new FakeRegistry(c => Serve(c, "<html>hello</html>"u8.ToArray()));
        var e = await Assert.ThrowsAsync<RegistryException>(() => _client.GetManifestAsync(Repo(server.Host, "bad/json"), "latest", Ct));
        Assert.StartsWith($"manifest {server.Host}/bad/json:latest is not valid JSON", e.Message);
    }

    [Fact]
    public async Task A_manifest_fetched_by_digest_must_have_that_digest()
    {
        byte[] altered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(GoodManifest).Replace("\"size\": 3", "\"size\": 4"));
        using var server = new FakeRegistry(c => Serve(c, altered));
        var wanted = Digest.Of(GoodManifest);

        var e = await Assert.ThrowsAsync<RegistryException>(() => _client.GetManifestAsync(Repo(server.Host, "x/y"), wanted.ToString(), Ct));
        Assert.Equal($"manifest {server.Host}/x/y@{wanted}: the registry sent content whose digest is {Digest.Of(altered)}", e.Message);
    }

    [Fact]
    public async Task A_manifest_must_match_the_registrys_Docker_Content_Digest()
    {
        var other = Digest.Of("something else"u8);
        using var server = new FakeRegistry(c => Serve(c, GoodManifest, headers: new() { ["Docker-Content-Digest"] = other.ToString() }));

        var e = await Assert.ThrowsAsync<RegistryException>(() => _client.GetManifestAsync(Repo(server.Host, "x/y"), "v1", Ct));
        Assert.Equal($"manifest {server.Host}/x/y:v1: the content does not match the registry's Docker-Content-Digest {other}", e.Message);
    }

    [Fact]
    public async Task A_generic_content_type_falls_back_to_the_documents_media_type()
    {
        using var server = new FakeRegistry(c => Serve(c, GoodManifest, "application/json",
            headers: new() { ["Docker-Content-Digest"] = Digest.Of(GoodManifest).ToString() }));
        var fetched = await _client.GetManifestAsync(Repo(server.Host, "x/y"), "v1", Ct);
        Assert.Equal(MediaTypes.OciManifest, fetched.MediaType);
        Assert.Equal(Digest.Of(GoodManifest), fetched.Digest);
    }

    [Fact]
    public async Task A_redirected_blob_is_followed_and_a_redirect_loop_is_not()
    {
        byte[] blob = RandomBytes(30_000, 40);
        var digest = Digest.Of(blob);
        using var server = new FakeRegistry(c =>
        {
            string path = c.Request.Url!.AbsolutePath;
            if (path.StartsWith("/storage/", StringComparison.Ordinal))
                return FakeRegistry.WriteAsync(c.Response, 200, blob, "application/octet-stream");
            if (path.Contains("/loop/", StringComparison.Ordinal))
            {
                c.Response.Redirect(c.Request.Url.ToString()); // to itself, forever
                return Task.CompletedTask;
            }
            c.Response.StatusCode = 307;
            c.Response.RedirectLocation = "/storage/" + digest.Hex;
            return Task.CompletedTask;
        });

        await using (var stream = await _client.OpenBlobAsync(Repo(server.Host, "redirect/ok"), digest, blob.Length, 0, Ct))
            Assert.Equal(blob, await ReadAllAsync(stream));

        var e = await Assert.ThrowsAsync<RegistryException>(() => _client.OpenBlobAsync(Repo(server.Host, "redirect/loop/x"), digest, blob.Length, 0, Ct));
        Assert.StartsWith($"too many redirects: fetching blob {digest}", e.Message);
    }

    [Fact]
    public async Task A_blob_whose_length_disagrees_with_its_descriptor_is_refused()
    {
        byte[] blob = RandomBytes(1000, 41);
        using var server = new FakeRegistry(c => FakeRegistry.WriteAsync(c.Response, 200, blob, "application/octet-stream"));
        var digest = Digest.Of(blob);

        var e = await Assert.ThrowsAsync<RegistryException>(() => _client.OpenBlobAsync(Repo(server.Host, "len/x"), digest, 900, 0, Ct));
        Assert.Equal($"fetching blob {digest} of {server.Host}/len/x: the registry sends 1000 bytes where 900 were expected (blob size 900)", e.Message);
    }

    [Fact]
    public async Task A_server_that_ignores_Range_is_read_from_the_offset_anyway()
    {
        byte[] blob = RandomBytes(100_000, 42);
        using var server = new FakeRegistry(c => FakeRegistry.WriteAsync(c.Response, 200, blob, "application/octet-stream"));

        await using var stream = await _client.OpenBlobAsync(Repo(server.Host, "range/x"), Digest.Of(blob), blob.Length, 65_537, Ct);
        Assert.Equal(blob[65_537..], await ReadAllAsync(stream));
    }

    [Fact]
    public async Task A_range_answer_from_the_wrong_place_is_refused()
    {
        byte[] blob = RandomBytes(1000, 43);
        using var server = new FakeRegistry(c =>
        {
            c.Response.Headers["Content-Range"] = "bytes 0-999/1000";
            return FakeRegistry.WriteAsync(c.Response, 206, blob, "application/octet-stream");
        });
        var e = await Assert.ThrowsAsync<RegistryException>(() => _client.OpenBlobAsync(Repo(server.Host, "range/y"), Digest.Of(blob), blob.Length, 500, Ct));
        Assert.Contains("asked for the bytes from 500, the registry sent bytes 0-999/1000", e.Message);
    }

    [Fact]
    public async Task An_OCI_error_body_becomes_the_message()
    {
        using var server = new FakeRegistry(c => FakeRegistry.WriteAsync(c.Response, 503,
            """{"errors":[{"code":"UNAVAILABLE","message":"the registry is\nbeing upgraded","detail":{}}]}""", "application/json"));
        var e = await Assert.ThrowsAsync<RegistryException>(() => _client.BlobExistsAsync(Repo(server.Host, "err/x"), Digest.Of("z"u8), Ct));
        // HEAD has no body: the status says it all.
        Assert.Equal($"checking blob {Digest.Of("z"u8)} in {server.Host}/err/x: {server.Host} answered HTTP 503", e.Message);
        Assert.True(e.IsTransient);

        e = await Assert.ThrowsAsync<RegistryException>(() => _client.GetManifestAsync(Repo(server.Host, "err/x"), "v1", Ct));
        Assert.Equal($"fetching manifest {server.Host}/err/x:v1: {server.Host} answered HTTP 503: the registry is being upgraded", e.Message);
    }

    [Fact]
    public async Task An_authentication_scheme_berth_does_not_speak_is_named()
    {
        using var server = new FakeRegistry(c =>
        {
            c.Response.Headers["WWW-Authenticate"] = "Negotiate";
            return FakeRegistry.WriteAsync(c.Response, 401, "");
        });
        var e = await Assert.ThrowsAsync<RegistryException>(() => _client.GetManifestAsync(Repo(server.Host, "auth/x"), "v1", Ct));
        Assert.Equal($"registry {server.Host} asks for authentication berth does not support (WWW-Authenticate: Negotiate)", e.Message);
    }

    [Fact]
    public async Task Credentials_are_not_sent_to_a_realm_over_plain_http_elsewhere()
    {
        string configDir = Directory.CreateTempSubdirectory(RegistryServer.TempPrefix).FullName;
        try
        {
            var store = CredentialStore.Load(Path.Combine(configDir, "config.json"));
            using var server = new FakeRegistry(c =>
            {
                c.Response.Headers["WWW-Authenticate"] = "Bearer realm=\"http://auth.example.invalid/token\",service=\"x\"";
                return FakeRegistry.WriteAsync(c.Response, 401, "");
            });
            store.Save(server.Host, "user", "password");
            using var client = new RegistryClient(new RegistryOptions { Credentials = store });
            var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Repo(server.Host, "auth/x"), "v1", Ct));
            Assert.Equal($"refusing to send the login for {server.Host} over plain http to auth.example.invalid", e.Message);
        }
        finally { Directory.Delete(configDir, recursive: true); }
    }

    [Fact]
    public async Task A_chunked_upload_sends_ranges_in_order_and_follows_each_location()
    {
        // A registry of our own making, to see the requests: POST, PATCH×3 with Content-Range, PUT ?digest=.
        byte[] blob = RandomBytes(2500, 44);
        var digest = Digest.Of(blob);
        var seen = new List<string>();
        var received = new MemoryStream();
        int session = 0;
        using var server = new FakeRegistry(async c =>
        {
            string method = c.Request.HttpMethod, path = c.Request.Url!.PathAndQuery;
            lock (seen) seen.Add($"{method} {path} {c.Request.Headers["Content-Range"]}".TrimEnd());
            if (method == "HEAD") { c.Response.StatusCode = 404; return; }
            if (method == "PATCH")
            {
                await c.Request.InputStream.CopyToAsync(received);
                c.Response.Headers["Location"] = $"/upload/{++session}"; // relative, and new each time
                c.Response.StatusCode = 202;
                return;
            }
            if (method == "POST") { c.Response.Headers["Location"] = "/upload/0"; c.Response.StatusCode = 202; return; }
            c.Response.Headers["Docker-Content-Digest"] = digest.ToString();
            c.Response.StatusCode = 201;
        });
        using var client = new RegistryClient(new RegistryOptions { ChunkSize = 1000 });

        await client.PushBlobAsync(Repo(server.Host, "up/x"), digest, blob.Length, () => new MemoryStream(blob), null, Ct);

        Assert.Equal(blob, received.ToArray());
        Assert.Equal([
            $"HEAD /v2/up/x/blobs/{digest}",
            "POST /v2/up/x/blobs/uploads/",
            "PATCH /upload/0 0-999",
            "PATCH /upload/1 1000-1999",
            "PATCH /upload/2 2000-2499",
            $"PUT /upload/3?digest={Uri.EscapeDataString(digest.ToString())}",
        ], seen);
    }
}
