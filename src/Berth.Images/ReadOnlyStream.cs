namespace Berth.Images;

/// <summary>
/// A forward-only, read-only stream: the pull path's many adapters (hashing, timing, the chunk
/// pipe, the resuming blob reader, the content store's tee) override Read and nothing else.
/// </summary>
public abstract class ReadOnlyStream : Stream
{
    // Subclasses override one of the two Read methods; each base form forwards to the other.
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
}
