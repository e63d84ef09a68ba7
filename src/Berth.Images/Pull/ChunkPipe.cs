using System.Buffers;
namespace Berth.Images.Pull;

/// <summary>
/// A bounded queue of byte chunks between two threads, read as a stream: on the pull path the
/// download, decompression and hashing run on one thread while the unpacker, which spends its time
/// in the kernel creating files, runs on another.
/// </summary>
public sealed class ChunkPipe : IDisposable
{
    // A plain monitor, not BlockingCollection: its spin-then-block waits cost thousands of
    // sched_yield calls per layer when both cores are busy (measured), for handoffs of 256 KiB chunks.
    private readonly Queue<(byte[] Buffer, int Count)> _queue = new();
    private readonly object _lock = new();
    private readonly int _maxChunks;
    private bool _completed, _aborted;
    private Exception? _failure;

    /// <summary>Stopwatch ticks the writer spent waiting for room, and the reader for data (for BERTH_TRACE).</summary>
    public long WriterWaitTicks { get; private set; }
    public long ReaderWaitTicks { get; private set; }

    public ChunkPipe(int maxChunks = 32)
    {
        _maxChunks = maxChunks;
        Reader = new PipeReaderStream(this);
    }

    public Stream Reader { get; }

    /// <summary>Queues a copy of <paramref name="data"/>; blocks while the queue is full; throws once the reader aborted.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(data.Length);
        data.CopyTo(buffer);
        lock (_lock)
        {
            if (_queue.Count >= _maxChunks && !_aborted)
            {
                long start = System.Diagnostics.Stopwatch.GetTimestamp();
                while (_queue.Count >= _maxChunks && !_aborted) Monitor.Wait(_lock);
                WriterWaitTicks += System.Diagnostics.Stopwatch.GetTimestamp() - start;
            }
            if (_aborted)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                throw new OperationCanceledException("the reader of the layer stream gave up");
            }
            _queue.Enqueue((buffer, data.Length));
            if (_queue.Count == 1) Monitor.PulseAll(_lock);
        }
    }

    /// <summary>No more chunks: the reader sees the end after the queued ones.</summary>
    public void Complete()
    {
        lock (_lock) { _completed = true; Monitor.PulseAll(_lock); }
    }

    /// <summary>The writer failed: the reader gets <paramref name="failure"/> after the queued chunks.</summary>
    public void Fail(Exception failure)
    {
        lock (_lock) { _failure = failure; _completed = true; Monitor.PulseAll(_lock); }
    }

    /// <summary>The reader gives up: a blocked or later <see cref="Write"/> throws.</summary>
    public void Abort()
    {
        lock (_lock) { _aborted = true; Monitor.PulseAll(_lock); }
    }

    private bool TryTake(out (byte[] Buffer, int Count) item)
    {
        lock (_lock)
        {
            if (_queue.Count == 0 && !_completed)
            {
                long start = System.Diagnostics.Stopwatch.GetTimestamp();
                while (_queue.Count == 0 && !_completed) Monitor.Wait(_lock);
                ReaderWaitTicks += System.Diagnostics.Stopwatch.GetTimestamp() - start;
            }
            if (_queue.Count == 0) { item = default; return false; }
            item = _queue.Dequeue();
            if (_queue.Count == _maxChunks - 1) Monitor.PulseAll(_lock);
            return true;
        }
    }

    public void Dispose()
    {
        Abort();
        lock (_lock)
            while (_queue.TryDequeue(out var item)) ArrayPool<byte>.Shared.Return(item.Buffer);
    }

    private sealed class PipeReaderStream(ChunkPipe pipe) : ReadOnlyStream
    {
        private byte[]? _chunk;
        private int _offset, _count;

        public override int Read(Span<byte> buffer)
        {
            while (_chunk is null || _offset == _count)
            {
                if (_chunk is not null) { ArrayPool<byte>.Shared.Return(_chunk); _chunk = null; }
                if (!pipe.TryTake(out var item))
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

        protected override void Dispose(bool disposing)
        {
            if (disposing && _chunk is not null) { ArrayPool<byte>.Shared.Return(_chunk); _chunk = null; }
            base.Dispose(disposing);
        }
    }
}
