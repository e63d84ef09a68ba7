using Berth.Images.Content;
using Berth.Images.Layers;
using Berth.Images.Manifests;
using Berth.Images.Pull;
using Berth.Images.Store;
using System.Diagnostics;
using Berth.Linux;

namespace Berth.Images.Snapshots;

/// <summary>
/// Turns one layer blob into a snapshot in one pass: the compressed stream is decompressed into
/// the unpacker while the uncompressed bytes are hashed; the snapshot is published only if that
/// hash is the diff id the image config names.
/// </summary>
public static class LayerImporter
{
    private static readonly bool s_trace = Environment.GetEnvironmentVariable("BERTH_TRACE") == "1";

    /// <param name="compressed">The whole blob from its first byte; the caller checks its own digest after this returns.</param>
    /// <param name="lowerChain">Chain ids of the layers below, bottom first (for hardlinks across layers).</param>
    /// <param name="waitForLower">Called before the layers below are looked into: they may still be unpacking.</param>
    public static long Import(SnapshotStore snapshots, Stream compressed, LayerCompression compression,
        string diffId, string chainId, IReadOnlyList<string> lowerChain, Action? waitForLower)
    {
        string temp = snapshots.CreateTemp();
        try
        {
            // Download, decompression and hashing on one thread; the unpacker, which mostly waits
            // on the file system, on this one.
            using var pipe = new ChunkPipe();
            var source = new CountingReader(compressed);
            long started = Stopwatch.GetTimestamp(), produced = 0;
            var producer = Task.Factory.StartNew(() =>
            {
                try
                {
                    using var plain = new HashingReader(LayerStreams.Decompress(source, compression));
                    var buffer = new byte[256 * 1024];
                    int n;
                    while ((n = plain.Read(buffer, 0, buffer.Length)) > 0) pipe.Write(buffer.AsSpan(0, n));
                    pipe.Complete();
                    produced = Stopwatch.GetTimestamp();
                    return plain.Digest().ToString();
                }
                catch (Exception e)
                {
                    pipe.Fail(e);
                    throw;
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            var options = new UnpackOptions
            {
                AllowDeviceNodes = Libc.geteuid() == 0,
                LowerLookup = path =>
                {
                    waitForLower?.Invoke();
                    return FindInLower(snapshots, lowerChain, path);
                },
            };
            UnpackResult result;
            try
            {
                result = LayerUnpacker.Unpack(pipe.Reader, Path.Combine(temp, "fs"), options);
                LayerStreams.Drain(pipe.Reader);
            }
            catch (Exception e)
            {
                pipe.Abort();
                try { producer.Wait(); } catch (AggregateException) { }
                // A failure of the download or decompression reaches the unpacker as a broken tar: report the cause.
                if (producer.IsFaulted && producer.Exception!.InnerException is { } cause && cause is not OperationCanceledException)
                    throw cause is ImageFormatException or Registry.RegistryException ? cause : new ImageFormatException($"layer {Short(diffId)}: {cause.Message}");
                if (e is InvalidDataException) throw new ImageFormatException($"layer {Short(diffId)}: {e.Message}");
                throw;
            }
            string got;
            try { got = producer.GetAwaiter().GetResult(); }
            catch (InvalidDataException e) { throw new ImageFormatException($"layer {Short(diffId)}: {e.Message}"); }
            if (got != diffId)
                throw new ImageFormatException($"layer {Short(diffId)}: uncompressed content has digest {got}, the image config says {diffId}");
            if (s_trace)
            {
                long unpacked = Stopwatch.GetTimestamp();
                double S(long ticks) => (double)ticks / Stopwatch.Frequency;
                Console.Error.WriteLine($"layer {Short(diffId)}: {source.Bytes / 1e6:F1} MB in, {result.Size / 1e6:F1} MB of files, {result.Entries} entries; " +
                    $"wall {S(unpacked - started):F3} s; reading the blob (network, content store, digest) {S(source.Ticks):F3} s, " +
                    $"decompressing and hashing {S(produced - started - source.Ticks - pipe.WriterWaitTicks):F3} s, " +
                    $"unpacking {S(unpacked - started - pipe.ReaderWaitTicks):F3} s");
            }
            snapshots.Commit(temp, chainId, new SnapshotInfo
            {
                DiffId = diffId,
                Parent = lowerChain.Count > 0 ? lowerChain[^1] : null,
                Size = result.Size,
                Created = DateTimeOffset.UtcNow,
            });
            return result.Size;
        }
        catch
        {
            SnapshotStore.RemoveTree(temp);
            throw;
        }
    }

    /// <summary>
    /// The file at <paramref name="path"/> as the merged view of the lower layers shows it, or null:
    /// the topmost layer that has it wins, unless a whiteout or an opaque directory above hides it.
    /// </summary>
    public static string? FindInLower(SnapshotStore snapshots, IReadOnlyList<string> lowerChain, string path)
    {
        string[] parts = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (int layer = lowerChain.Count - 1; layer >= 0; layer--)
        {
            string dir = snapshots.FsPath(lowerChain[layer]);
            string current = dir;
            bool hidden = false;
            for (int i = 0; i < parts.Length; i++)
            {
                current = Path.Combine(current, parts[i]);
                var kind = Kind(current);
                if (kind == EntryKind.Whiteout) return null;
                if (kind == EntryKind.Missing) break;
                if (i == parts.Length - 1) return kind == EntryKind.Other ? current : null;
                if (kind != EntryKind.Directory) return null;      // a file above shadows the path
                if (IsOpaque(current)) hidden = true;
            }
            if (hidden) return null;
        }
        return null;
    }

    private enum EntryKind { Missing, Whiteout, Directory, Other }

    private static EntryKind Kind(string path)
    {
        if (Libc.statx(Libc.AT_FDCWD, path, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_TYPE | Libc.STATX_MODE, out var st) != 0) return EntryKind.Missing;
        if (st.Type == Libc.S_IFDIR) return EntryKind.Directory;
        if (FsOps.IsWhiteout(st)) return EntryKind.Whiteout;
        return EntryKind.Other;
    }

    private static bool IsOpaque(string dir) => FsOps.IsOpaque(new FsOps.XattrTarget(-1, dir));

    private static string Short(string digest) => digest.Length > 19 ? digest[7..19] : digest;
}
