namespace Berth.Images.Registry;

/// <summary>
/// A blob's bytes from an offset to its end, read over HTTP. When the transfer breaks (an I/O error,
/// the connection ending before the blob's size, no byte for the stall timeout) the stream asks again
/// with <c>Range: bytes=N-</c>, N being the count of bytes already handed to the reader, so the reader
/// sees every byte exactly once. It gives up after <see cref="MaxConsecutiveFailures"/> failures in a
/// row (a resume that delivers bytes starts the count again), waiting longer before each retry.
/// It never hands out more than the size it was given; checking the digest is the reader's job.
/// </summary>
internal sealed class ResumableBlobStream : ReadOnlyStream
{
    internal const int MaxConsecutiveFailures = 5;
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(200);

    /// <summary>An HTTP response whose body starts at the byte asked for.</summary>
    internal sealed record Body(HttpResponseMessage Response, Stream Content) : IDisposable
    {
        public void Dispose()
        {
            Content.Dispose();
            Response.Dispose();
        }
    }

    private readonly Func<long, CancellationToken, Task<Body>> _open;
    private readonly long _size;
    private readonly TimeSpan _stallTimeout;
    private readonly string _what;
    private long _position;
    private Body? _body;
    private int _failures;
    private bool _disposed;

    /// <param name="open">Requests the blob from the given offset (throws a <see cref="RegistryException"/> when it cannot).</param>
    public ResumableBlobStream(Func<long, CancellationToken, Task<Body>> open, long size, long offset, TimeSpan stallTimeout, string what)
    {
        _open = open;
        _size = size;
        _position = offset;
        _stallTimeout = stallTimeout;
        _what = what;
    }

    /// <summary>Makes the first request, so that a blob that cannot be had at all fails at once, without retries.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        if (_position < _size) _body = await _open(_position, ct);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long remaining = _size - _position;
        if (remaining == 0 || buffer.Length == 0) return 0;
        if (buffer.Length > remaining) buffer = buffer[..(int)remaining];
        while (true)
        {
            Exception failure;
            // A fresh timer per read: reads are network-sized, the allocation does not show.
            using (var stall = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                stall.CancelAfter(_stallTimeout);
                try
                {
                    _body ??= await _open(_position, stall.Token);
                    int n = await _body.Content.ReadAsync(buffer, stall.Token);
                    if (n > 0)
                    {
                        _position += n;
                        _failures = 0;
                        return n;
                    }
                    failure = new EndOfStreamException($"the connection ended at byte {_position} of {_size}");
                }
                catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
                {
                    failure = new TimeoutException($"no data for {_stallTimeout.TotalSeconds:0.#} s", e);
                }
                catch (Exception e) when (e is IOException or RegistryException { IsTransient: true })
                {
                    failure = e;
                }
            }
            DropBody();
            if (++_failures > MaxConsecutiveFailures)
                throw new RegistryException(
                    $"{_what}: transfer broken at byte {_position} of {_size}, gave up after {MaxConsecutiveFailures} retries: {RegistryClient.Describe(failure)}",
                    inner: failure) { IsTransient = true };
            await Task.Delay(FirstBackoff * (1 << (_failures - 1)), ct);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    // The puller reads asynchronously; a synchronous reader (a decompressor's CopyTo) blocks here.
    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    private void DropBody()
    {
        _body?.Dispose();
        _body = null;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            DropBody();
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => !_disposed;
}
