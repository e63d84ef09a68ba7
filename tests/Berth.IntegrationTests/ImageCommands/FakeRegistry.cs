using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Berth.IntegrationTests.ImageCommands;

/// <summary>
/// A registry of the tests' own on 127.0.0.1 that serves whatever the test puts in it, however
/// wrong: mismatched digests, truncated blobs, manifests that are not JSON or far too big.
/// </summary>
public sealed class FakeRegistry : IDisposable
{
    private readonly HttpListener _listener;
    private readonly Dictionary<string, (byte[] Body, string Type, int? CutAfter)> _routes = [];
    public string Address { get; private set; } = "";

    public FakeRegistry()
    {
        // HttpListener cannot take port 0: probe for a free port, and try again if another test took it meanwhile.
        for (int attempt = 0; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            int port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Address = $"127.0.0.1:{port}";
            _listener = new HttpListener();
            _listener.Prefixes.Add($"http://{Address}/");
            try { _listener.Start(); break; }
            catch (HttpListenerException) when (attempt < 10) { }
        }
        _ = Task.Run(Serve);
    }

    public static string Sha(byte[] data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>Serves <paramref name="body"/> at /v2/PATH; with <paramref name="cutAfter"/> the connection drops after that many bytes.</summary>
    public void Add(string path, byte[] body, string type = "application/octet-stream", int? cutAfter = null)
    {
        lock (_routes) _routes["/v2/" + path] = (body, type, cutAfter);
    }

    /// <summary>An image whose blobs are served as given: the manifest names them by <paramref name="claimedLayerDigest"/> if set.</summary>
    public void AddImage(string repo, string tag, byte[] layerGz, byte[] diffTar, string? claimedLayerDigest = null, int? cutLayerAfter = null)
    {
        string layerDigest = claimedLayerDigest ?? Sha(layerGz);
        byte[] config = Encoding.UTF8.GetBytes(
            $$$"""{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["{{{Sha(diffTar)}}}"]}}""");
        byte[] manifest = Encoding.UTF8.GetBytes(
            $$$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{{Sha(config)}}}","size":{{{config.Length}}}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{{{layerDigest}}}","size":{{{layerGz.Length}}}}]}""");
        Add($"{repo}/blobs/{Sha(config)}", config);
        Add($"{repo}/blobs/{layerDigest}", layerGz, cutAfter: cutLayerAfter);
        Add($"{repo}/manifests/{tag}", manifest, "application/vnd.oci.image.manifest.v1+json");
    }

    private async Task Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            try { Answer(ctx); }
            catch (Exception) { try { ctx.Response.Abort(); } catch (Exception) { } }
        }
    }

    private void Answer(HttpListenerContext ctx)
    {
        string path = ctx.Request.Url!.AbsolutePath;
        var response = ctx.Response;
        if (path == "/v2/") { response.StatusCode = 200; response.Close(); return; }
        (byte[] Body, string Type, int? CutAfter) route;
        bool found;
        lock (_routes) found = _routes.TryGetValue(path, out route);
        if (!found)
        {
            response.StatusCode = 404;
            response.ContentType = "application/json";
            byte[] err = """{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"""u8.ToArray();
            response.OutputStream.Write(err);
            response.Close();
            return;
        }
        response.StatusCode = 200;
        response.ContentType = route.Type;
        response.ContentLength64 = route.Body.Length;
        if (ctx.Request.HttpMethod == "HEAD") { response.Close(); return; }
        if (route.CutAfter is int cut)
        {
            response.OutputStream.Write(route.Body, 0, Math.Min(cut, route.Body.Length));
            response.OutputStream.Flush();
            response.Abort();
            return;
        }
        response.OutputStream.Write(route.Body);
        response.Close();
    }

    public void Dispose()
    {
        try { _listener.Close(); }
        catch (HttpListenerException) { }   // a listener whose port was lost has nothing to release
    }
}
