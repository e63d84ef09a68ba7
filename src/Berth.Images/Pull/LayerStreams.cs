using System.IO.Compression;
using System.Security.Cryptography;
using Berth.Images.Manifests;

namespace Berth.Images.Pull;

/// <summary>Stream adapters of the pull path: decompression by media type, hashing and counting as bytes pass.</summary>
public static class LayerStreams
{
    /// <summary>
    /// The decompressed view of a layer. The decompressors read in 8 KiB pieces; a buffer in front
    /// makes that one read of the source per 256 KiB (the source may be the network).
    /// </summary>
    public static Stream Decompress(Stream compressed, LayerCompression compression) => compression switch
    {
        LayerCompression.None => compressed,
        LayerCompression.Gzip => new GZipStream(new BufferedStream(compressed, 256 * 1024), CompressionMode.Decompress, leaveOpen: false),
        LayerCompression.Zstd => new ZstdSharp.DecompressionStream(new BufferedStream(compressed, 256 * 1024), leaveOpen: false),
        _ => throw new ArgumentOutOfRangeException(nameof(compression)),
    };

    /// <summary>Reads <paramref name="stream"/> to its end, discarding: a layer's digest is over every byte, even after the tar's end.</summary>
    public static void Drain(Stream stream)
    {
        var buffer = new byte[1 << 16];
        while (stream.Read(buffer, 0, buffer.Length) > 0) { }
    }
}

/// <summary>Passes reads through, hashing them with sha256 (a layer's diff id) and counting them.</summary>
public sealed class HashingReader(Stream inner) : ReadOnlyStream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    public long BytesRead { get; private set; }

    public Content.Digest Digest() => Content.Digest.FromHash(_hash.GetHashAndReset());

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        if (n > 0)
        {
            _hash.AppendData(buffer[..n]);
            BytesRead += n;
        }
        return n;
    }

    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
    protected override void Dispose(bool disposing) { if (disposing) _hash.Dispose(); base.Dispose(disposing); }
}

/// <summary>
/// Passes reads through, counting the bytes (for progress) and the time spent in them (for
/// BERTH_TRACE: time waiting on the network and the content store).
/// </summary>
public sealed class CountingReader(Stream inner, Action<long>? onProgress = null) : ReadOnlyStream
{
    public long Ticks { get; private set; }
    public long Bytes { get; private set; }

    public override int Read(Span<byte> buffer)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        int n = inner.Read(buffer);
        Ticks += System.Diagnostics.Stopwatch.GetTimestamp() - start;
        if (n > 0)
        {
            Bytes += n;
            onProgress?.Invoke(Bytes);
        }
        return n;
    }

}
