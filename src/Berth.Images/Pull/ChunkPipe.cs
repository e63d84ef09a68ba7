using System.Buffers;
using System.Collections.Concurrent;

namespace Berth.Images.Pull;

/// <summary>
/// A bounded queue of byte chunks between two threads, read as a stream: on the pull path the
/// download, decompression and hashing run on one thread while the unpacker, which spends its time
/// in the kernel creating files, runs on another.
/// </summary>
public sealed class ChunkPipe : IDisposable
{
    private readonly BlockingCollection<(byte[] Buffer, int Count)> _queue;
    private readonly CancellationTokenSource _abort = new();
    private Exception? _failure;

    public ChunkPipe(int maxChunks = 32)
    {
        _queue = new BlockingCollection<(byte[], int)>(maxChunks);
        Reader = new PipeReaderStream(this);
    }

    public Stream Reader { get; }

    /// <summary>Queues a copy of <paramref name="data"/>; blocks while the queue is full; throws once the reader aborted.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(data.Length);
        data.CopyTo(buffer);
        try { _queue.Add((buffer, data.Length), _abort.Token); }
        catch { ArrayPool<byte>.Shared.Return(buffer); throw; }
    }

    /// <summary>No more chunks: the reader sees the end after the queued ones.</summary>
    public void Complete() => _queue.CompleteAdding();

    /// <summary>The writer failed: the reader gets <paramref name="failure"/> after the queued chunks.</summary>
    public void Fail(Exception failure)
    {
        _failure = failure;
        _queue.CompleteAdding();
    }

    /// <summary>The reader gives up: a blocked or later <see cref="Write"/> throws.</summary>
    public void Abort() => _abort.Cancel();

    public void Dispose()
    {
        _abort.Cancel();
        while (_queue.TryTake(out var item)) ArrayPool<byte>.Shared.Return(item.Buffer);
        _queue.Dispose();
        _abort.Dispose();
    }

    private sealed class PipeReaderStream(ChunkPipe pipe) : Stream
    {
        private byte[]? _chunk;
        private int _offset, _count;

        public override int Read(Span<byte> buffer)
        {
            while (_chunk is null || _offset == _count)
            {
                if (_chunk is not null) { ArrayPool<byte>.Shared.Return(_chunk); _chunk = null; }
                if (!pipe._queue.TryTake(out var item, Timeout.Infinite))
                {
                    if (pipe._failure is { } e) throw new IOException(e.Message, e);
                    return 0;
                }
                (_chunk, _offset, _count) = (item.Buffer, 0, item.Count);
            }
            int n = Math.Min(buffer.Length, _count - _offset);
            _chunk.AsSpan(_offset, n).CopyTo(buffer);
            _offset += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && _chunk is not null) { ArrayPool<byte>.Shared.Return(_chunk); _chunk = null; }
            base.Dispose(disposing);
        }
    }
}
