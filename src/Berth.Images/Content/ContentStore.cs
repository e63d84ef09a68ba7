using System.Security.Cryptography;
using Berth.Linux;

namespace Berth.Images.Content;

/// <summary>
/// Blobs by digest, as containerd's local content store keeps them.
///
/// Contract:
/// - A blob is visible at <c>blobs/sha256/HEX</c> only once complete and verified: it is written to
///   <c>ingest/HEX.partial</c>, its size and digest checked, then renamed into place.
/// - One writer per digest: an ingestion holds <c>ingest/HEX.lock</c> (flock), so concurrent pulls of
///   the same blob, in one process or several, fetch it once; the second finds it present.
/// - A partial file survives its writer (a broken transfer or kill -9) so the next ingestion of the
///   same digest resumes from its length; a partial that fails verification is deleted.
/// </summary>
public sealed class ContentStore
{
    public string Root { get; }
    private readonly string _blobs, _ingest;

    public ContentStore(string root)
    {
        Root = root;
        _blobs = Path.Combine(root, "blobs", "sha256");
        _ingest = Path.Combine(root, "ingest");
        Directory.CreateDirectory(_blobs);
        Directory.CreateDirectory(_ingest);
    }

    public string BlobPath(Digest digest)
    {
        if (digest.Algorithm != "sha256") throw new NotSupportedException($"digest algorithm {digest.Algorithm} is not stored");
        return Path.Combine(_blobs, digest.Hex);
    }

    public bool Has(Digest digest) => File.Exists(BlobPath(digest));

    public long SizeOf(Digest digest) => new FileInfo(BlobPath(digest)).Length;

    public FileStream OpenBlob(Digest digest) =>
        new(BlobPath(digest), FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);

    /// <summary>Reads a small blob (manifest, config) whole, refusing one larger than <paramref name="maxSize"/>.</summary>
    public byte[] ReadBlob(Digest digest, long maxSize = 16 << 20)
    {
        string path = BlobPath(digest);
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"blob {digest} is not in the content store", path);
        if (info.Length > maxSize) throw new InvalidDataException($"blob {digest} is {info.Length} bytes, more than {maxSize}");
        return File.ReadAllBytes(path);
    }

    /// <summary>Stores <paramref name="data"/> (a manifest, config, index) if it is not there yet; returns its digest.</summary>
    public Digest WriteBlob(ReadOnlySpan<byte> data, Digest? expected = null)
    {
        var digest = Digest.Of(data);
        if (expected is { } want && want != digest)
            throw new InvalidDataException($"content digest mismatch: expected {want}, got {digest}");
        string path = BlobPath(digest);
        if (File.Exists(path)) return digest;
        string tmp = Path.Combine(_ingest, $"{digest.Hex}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp");
        using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1))
            f.Write(data);
        File.Move(tmp, path, overwrite: true);
        return digest;
    }

    /// <summary>A path in the store's own file system for a file that will become a blob (see <see cref="AddFile"/>).</summary>
    public string TempPath() => Path.Combine(_ingest, $"file-{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");

    /// <summary>Stores a finished file as a blob, by the digest of its content; the file is moved, or copied if <paramref name="move"/> is false.</summary>
    public Digest AddFile(string path, bool move)
    {
        Digest digest;
        using (var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
            digest = Digest.FromHash(SHA256.HashData(f));
        string target = BlobPath(digest);
        if (File.Exists(target)) { if (move) File.Delete(path); return digest; }
        if (move) File.Move(path, target, overwrite: true);
        else
        {
            string tmp = TempPath();
            File.Copy(path, tmp);
            File.Move(tmp, target, overwrite: true);
        }
        return digest;
    }

    /// <summary>
    /// Starts writing the blob <paramref name="digest"/>: waits for any other writer of it, and returns
    /// null if the blob is present by then.
    /// </summary>
    public Ingestion? BeginIngest(Digest digest, long size)
    {
        if (Has(digest)) return null;
        var fileLock = FileLock.Acquire(Path.Combine(_ingest, digest.Hex + ".lock"));
        try
        {
            if (Has(digest)) { fileLock.Dispose(); return null; }
            return new Ingestion(this, digest, size, Path.Combine(_ingest, digest.Hex + ".partial"), fileLock);
        }
        catch { fileLock.Dispose(); throw; }
    }

    internal void Publish(string partial, Digest digest) => File.Move(partial, BlobPath(digest), overwrite: true);

    public bool Delete(Digest digest)
    {
        string path = BlobPath(digest);
        if (!File.Exists(path)) return false;
        File.Delete(path);
        return true;
    }

    /// <summary>Every stored blob with its size.</summary>
    public IEnumerable<(Digest Digest, long Size)> List()
    {
        foreach (var file in new DirectoryInfo(_blobs).EnumerateFiles())
            if (Digest.TryParse("sha256:" + file.Name, out var d)) yield return (d, file.Length);
    }

    /// <summary>Deletes partial downloads no writer holds; returns the bytes freed.</summary>
    public long RemoveAbandonedPartials()
    {
        long freed = 0;
        foreach (var partial in new DirectoryInfo(_ingest).EnumerateFiles("*.partial"))
        {
            string lockPath = Path.Combine(_ingest, Path.GetFileNameWithoutExtension(partial.Name) + ".lock");
            using var held = FileLock.TryAcquire(lockPath);
            if (held is null) continue;
            freed += partial.Length;
            partial.Delete();
            File.Delete(lockPath);
        }
        return freed;
    }

    /// <summary>Partial downloads that no writer holds: their bytes, for `system df`, and removal by prune.</summary>
    public long PartialBytes() =>
        new DirectoryInfo(_ingest).EnumerateFiles("*.partial").Sum(f => f.Length);
}

/// <summary>
/// One blob being written. <see cref="Offset"/> bytes are already on disk from an earlier, broken
/// attempt: the caller fetches the rest from there and passes it to <see cref="Reader"/>, which
/// yields the whole blob from its first byte (the saved prefix, then the fetched rest, stored as it
/// passes) while hashing it. <see cref="Commit"/> checks size and digest and publishes the blob.
/// Disposing without commit keeps the partial file for a later resume, unless it was discarded.
/// </summary>
public sealed class Ingestion : IDisposable
{
    private readonly ContentStore _store;
    private readonly FileLock _lock;
    private readonly string _partial;
    private readonly FileStream _file;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _hashed, _written;
    private bool _done;

    public Digest Digest { get; }
    public long ExpectedSize { get; }
    /// <summary>Bytes on disk when the ingestion began: fetch from here.</summary>
    public long Offset { get; }

    internal Ingestion(ContentStore store, Digest digest, long size, string partial, FileLock fileLock)
    {
        _store = store; Digest = digest; ExpectedSize = size; _partial = partial; _lock = fileLock;
        _file = new FileStream(partial, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1);
        if (_file.Length > size) _file.SetLength(0);   // longer than the blob can be: start over
        Offset = _written = _file.Length;
    }

    /// <summary>The whole blob as a stream: the saved prefix, then <paramref name="rest"/> (from <see cref="Offset"/>), written to disk as it is read.</summary>
    public Stream Reader(Stream rest) => new BlobReader(this, rest);

    public void Commit()
    {
        if (_hashed != _written || _written != ExpectedSize)
        {
            Discard();
            throw new InvalidDataException($"blob {Digest} is {Math.Max(_hashed, _written)} bytes, the manifest says {ExpectedSize}");
        }
        var got = Digest.FromHash(_hash.GetHashAndReset());
        if (got != Digest)
        {
            Discard();
            throw new InvalidDataException($"blob digest mismatch: expected {Digest}, got {got}");
        }
        _file.Dispose();
        _store.Publish(_partial, Digest);
        _done = true;
    }

    /// <summary>Deletes the partial file: its bytes are known to be wrong.</summary>
    public void Discard()
    {
        _file.Dispose();
        File.Delete(_partial);
        _done = true;
    }

    public void Dispose()
    {
        if (!_done) _file.Dispose();
        _hash.Dispose();
        _lock.Dispose();
    }

    private sealed class BlobReader(Ingestion owner, Stream rest) : ReadOnlyStream
    {
        public override int Read(Span<byte> buffer)
        {
            var o = owner;
            int n;
            if (o._hashed < o.Offset)
            {
                o._file.Position = o._hashed;
                n = o._file.Read(buffer[..(int)Math.Min(buffer.Length, o.Offset - o._hashed)]);
                if (n <= 0) throw new EndOfStreamException($"partial blob {o.Digest} shrank while resuming");
            }
            else
            {
                n = rest.Read(buffer);
                if (n == 0) return 0;
                if (o._written + n > o.ExpectedSize)
                    throw new InvalidDataException($"blob {o.Digest} is longer than its declared size {o.ExpectedSize}");
                o._file.Position = o._written;
                o._file.Write(buffer[..n]);
                o._written += n;
            }
            o._hash.AppendData(buffer[..n]);
            o._hashed += n;
            return n;
        }
        protected override void Dispose(bool disposing) { if (disposing) rest.Dispose(); base.Dispose(disposing); }
    }
}
