using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Berth.IntegrationTests.ImageCommands;

/// <summary>
/// A registry of the tests' own on 127.0.0.1 that serves whatever the test puts in it, however
/// wrong: mismatched digests, truncated blobs, manifests that are not JSON or far too big.
/// </summary>
public sealed class FakeRegistry : IDisposable
{
    private readonly Images.FakeRegistry _server;
    private readonly Dictionary<string, (byte[] Body, string Type, int? CutAfter)> _routes = [];
    public string Address => _server.Host;

    /// <summary>The HTTP side is the registry tests' own fake server; this class only decides what it answers.</summary>
    public FakeRegistry() => _server = new Images.FakeRegistry(ctx => { Answer(ctx); return Task.CompletedTask; });

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

    public void Dispose() => _server.Dispose();
}
