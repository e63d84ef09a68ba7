using System.Globalization;
using System.Text;
using Berth.Images.Manifests;
using Berth.Linux;

namespace Berth.Images.Layers;

/// <summary>
/// The layer stream as TarReader sees it, able to keep a copy of the header bytes TarReader reads for
/// one entry. System.Formats.Tar decodes pax record values as UTF-8 text, which loses binary
/// extended attributes (security.capability); the unpacker takes SCHILY.xattr.* values from the
/// recorded bytes instead. Only header blocks are recorded: the unpacker reads or drains every
/// entry's data before it asks for the next entry, so a recording holds the previous entry's block
/// padding and the headers (pax 'x', GNU 'L'/'K', the entry's own) and nothing else.
/// Not seekable on purpose: TarReader then reads everything in stream order.
/// </summary>
internal sealed class HeaderRecordingStream(Stream inner) : ReadOnlyStream
{
    /// <summary>Header bytes of one entry beyond which the layer is refused (TarReader itself allows 1 MiB-ish pax headers).</summary>
    public const int MaxRecording = 16 << 20;

    private byte[] _recorded = new byte[4096];
    private int _length;
    private bool _recording;

    public void StartRecording() { _length = 0; _recording = true; }
    public void StopRecording() => _recording = false;
    public ReadOnlySpan<byte> Recorded => _recorded.AsSpan(0, _length);
    public byte[] RecordedBuffer => _recorded;

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        if (_recording && n > 0) Record(buffer[..n]);
        return n;
    }


    private void Record(ReadOnlySpan<byte> data)
    {
        if (_length + data.Length > _recorded.Length)
        {
            if (_length + data.Length > MaxRecording)
                throw new ImageFormatException($"layer tar has an entry header bigger than {MaxRecording >> 20} MiB");
            Array.Resize(ref _recorded, Math.Max(_recorded.Length * 2, _length + data.Length));
        }
        data.CopyTo(_recorded.AsSpan(_length));
        _length += data.Length;
    }

}

/// <summary>One SCHILY.xattr.NAME record: the name, and where its value lies in the recording.</summary>
internal readonly record struct PaxXattr(string Name, int Offset, int Length);

/// <summary>Reads the extended attribute records out of recorded header bytes (see <see cref="HeaderRecordingStream"/>).</summary>
internal static class PaxXattrs
{
    private const int Block = 512;
    private static ReadOnlySpan<byte> XattrPrefix => "SCHILY.xattr."u8;
    private static ReadOnlySpan<byte> SparsePrefix => "GNU.sparse."u8;

    /// <summary>
    /// Fills <paramref name="into"/> with the xattr records of the pax header that precedes the entry
    /// header at the end of <paramref name="recorded"/>. <paramref name="sparse"/>: the entry is a GNU
    /// sparse file in pax form, which the unpacker refuses. <paramref name="atime"/>, <paramref name="mtime"/>:
    /// the pax time records to the nanosecond (TarEntry's DateTimeOffset keeps 100 ns).
    /// Every header block's checksum is verified too (TarReader does not, in .NET 10): a garbled
    /// header throws <see cref="ImageFormatException"/> naming <paramref name="entry"/>.
    /// </summary>
    public static void Parse(ReadOnlySpan<byte> recorded, List<PaxXattr> into, out bool sparse, out Libc.Timespec? atime, out Libc.Timespec? mtime, string entry)
    {
        into.Clear();
        sparse = false;
        atime = mtime = null;
        int pos = recorded.Length % Block;   // the previous entry's block padding
        while (pos + Block <= recorded.Length)
        {
            ReadOnlySpan<byte> header = recorded.Slice(pos, Block);
            if (!ChecksumMatches(header))
                throw new ImageFormatException($"layer tar is truncated or malformed: header checksum mismatch at entry {TarPath.Quote(entry)}");
            byte type = header[156];
            pos += Block;
            if (type is not ((byte)'x' or (byte)'L' or (byte)'K')) return;   // the entry's own header
            long size = ParseSize(header.Slice(124, 12));
            if (size < 0 || size > recorded.Length - pos) return;            // TarReader would have refused it
            if (type == (byte)'x') ParseRecords(recorded, pos, (int)size, into, ref sparse, ref atime, ref mtime);
            pos += (int)((size + Block - 1) / Block * Block);
        }
    }

    private static void ParseRecords(ReadOnlySpan<byte> recorded, int start, int size, List<PaxXattr> into, ref bool sparse, ref Libc.Timespec? atime, ref Libc.Timespec? mtime)
    {
        // "LENGTH KEY=VALUE\n", LENGTH counting the whole record; VALUE may hold any byte.
        int pos = start, end = start + size;
        while (pos < end)
        {
            ReadOnlySpan<byte> rest = recorded[pos..end];
            int space = rest.IndexOf((byte)' ');
            if (space <= 0 || !int.TryParse(rest[..space], out int length) || length <= space + 2 || length > rest.Length) return;
            ReadOnlySpan<byte> record = rest[(space + 1)..(length - 1)];
            int equals = record.IndexOf((byte)'=');
            if (equals < 0) return;
            ReadOnlySpan<byte> key = record[..equals];
            if (key.StartsWith(XattrPrefix))
                into.Add(new PaxXattr(Encoding.UTF8.GetString(key[XattrPrefix.Length..]), pos + space + 1 + equals + 1, record.Length - equals - 1));
            else if (key.StartsWith(SparsePrefix))
                sparse = true;
            else if (key.SequenceEqual("atime"u8))
                atime = ParseTime(record[(equals + 1)..]);
            else if (key.SequenceEqual("mtime"u8))
                mtime = ParseTime(record[(equals + 1)..]);
            pos += length;
        }
    }

    /// <summary>
    /// The header checksum: the sum of the header's bytes with the checksum field taken as spaces,
    /// unsigned as POSIX says, or signed as some old tars computed it.
    /// </summary>
    private static bool ChecksumMatches(ReadOnlySpan<byte> header)
    {
        long stored = ParseSize(header.Slice(148, 8));
        int unsigned = 8 * ' ', signed = 8 * ' ';
        for (int i = 0; i < Block; i++)
        {
            if (i is >= 148 and < 156) continue;
            unsigned += header[i];
            signed += (sbyte)header[i];
        }
        return stored == unsigned || stored == signed;
    }

    /// <summary>A pax time, "[-]SECONDS[.FRACTION]"; null if malformed.</summary>
    internal static Libc.Timespec? ParseTime(ReadOnlySpan<byte> text)
    {
        bool negative = text.StartsWith("-"u8);
        if (negative) text = text[1..];
        int dot = text.IndexOf((byte)'.');
        ReadOnlySpan<byte> whole = dot < 0 ? text : text[..dot], fraction = dot < 0 ? default : text[(dot + 1)..];
        if (whole.IsEmpty || !long.TryParse(whole, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds)) return null;
        long nanos = 0;
        for (int i = 0; i < 9; i++)
        {
            int digit = 0;
            if (i < fraction.Length)
            {
                if (fraction[i] is < (byte)'0' or > (byte)'9') return null;
                digit = fraction[i] - '0';
            }
            nanos = nanos * 10 + digit;
        }
        if (!negative) return new Libc.Timespec(seconds, nanos);
        return nanos == 0 ? new Libc.Timespec(-seconds, 0) : new Libc.Timespec(-seconds - 1, 1_000_000_000 - nanos);
    }

    /// <summary>A tar numeric field: octal digits, or base-256 when the high bit of the first byte is set.</summary>
    private static long ParseSize(ReadOnlySpan<byte> field)
    {
        if ((field[0] & 0x80) != 0)
        {
            if ((field[0] & 0x40) != 0) return -1;
            long v = field[0] & 0x3F;
            foreach (byte b in field[1..])
            {
                if (v > (long.MaxValue >> 8)) return -1;
                v = (v << 8) | b;
            }
            return v;
        }
        long value = 0;
        foreach (byte b in field)
        {
            if (b is (byte)' ' or 0)
            {
                if (value == 0) continue;
                break;
            }
            if (b is < (byte)'0' or > (byte)'7') return -1;
            value = value * 8 + (b - '0');
        }
        return value;
    }
}
