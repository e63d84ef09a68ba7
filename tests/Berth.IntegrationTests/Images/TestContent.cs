using System.Text;
using Berth.Images.Content;
using Berth.Images.Manifests;
using Berth.Images.References;

namespace Berth.IntegrationTests.Images;

/// <summary>Blobs and manifests to push: random bytes, and an OCI manifest naming a config and a layer.</summary>
public static class TestContent
{
    public static byte[] RandomBytes(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static ImageReference Repo(string host, string path) => ImageReference.Parse($"{host}/{path}");

    public static byte[] Manifest(byte[] config, byte[] layer) => Encoding.UTF8.GetBytes($$"""
        {
          "schemaVersion": 2,
          "mediaType": "{{MediaTypes.OciManifest}}",
          "config": {"mediaType": "{{MediaTypes.OciConfig}}", "digest": "{{Digest.Of(config)}}", "size": {{config.Length}}},
          "layers": [{"mediaType": "{{MediaTypes.OciLayerGzip}}", "digest": "{{Digest.Of(layer)}}", "size": {{layer.Length}}}]
        }
        """);

    public static byte[] Index(byte[] manifest) => Encoding.UTF8.GetBytes($$"""
        {
          "schemaVersion": 2,
          "mediaType": "{{MediaTypes.OciIndex}}",
          "manifests": [{"mediaType": "{{MediaTypes.OciManifest}}", "digest": "{{Digest.Of(manifest)}}", "size": {{manifest.Length}},
                         "platform": {"architecture": "amd64", "os": "linux"} }]
        }
        """);

    public static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        var all = new MemoryStream();
        await stream.CopyToAsync(all);
        return all.ToArray();
    }
}
