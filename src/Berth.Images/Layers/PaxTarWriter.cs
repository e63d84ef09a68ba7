using System.Buffers;
using System.Globalization;
using System.Text;

namespace Berth.Images.Layers;

/// <summary>The header of one entry as <see cref="PaxTarWriter"/> writes it.</summary>
internal struct TarHeaderFields
{
    public string Name;          // "dir/", "dir/file"
    public byte TypeFlag;        // '0', '1', '2', '3', '4', '5', '6'
    public uint Mode;            // permission bits incl. setuid/setgid/sticky
    public uint Uid, Gid;
    public long Size;
    public long MtimeSeconds;
    public long MtimeNanos;
    public string? LinkName;
    public uint DevMajor, DevMinor;
}

/// <summary>
/// Writes a POSIX pax tar. Written here rather than with System.Formats.Tar's TarWriter because pax
/// extended attribute values are bytes (security.capability is binary) and TarWriter takes them as
/// strings. Each entry is a ustar header, preceded by a pax 'x' header when something does not fit
/// ustar: a long name or link, a big id or size, a sub-second mtime, extended attributes.
/// </summary>
internal sealed class PaxTarWriter(Stream output)
{
    private const int Block = 512;
    private const long MaxOctal7 = 0x1FFFFF, MaxOctal11 = 0x1FFFFFFFF;   // 7 and 11 octal digits
    private readonly byte[] _header = new byte[Block];
    private readonly ArrayBufferWriter<byte> _pax = new();

    public void WriteHeader(in TarHeaderFields h, List<(string Name, byte[] Value)>? xattrs)
    {
        _pax.ResetWrittenCount();
        byte[] name = Encoding.UTF8.GetBytes(h.Name);
        byte[] link = h.LinkName is null ? [] : Encoding.UTF8.GetBytes(h.LinkName);
        if (name.Length > 100) AddRecord("path"u8, name);
        if (link.Length > 100) AddRecord("linkpath"u8, link);
        if (h.Uid > MaxOctal7) AddRecord("uid"u8, Ascii(h.Uid.ToString(CultureInfo.InvariantCulture)));
        if (h.Gid > MaxOctal7) AddRecord("gid"u8, Ascii(h.Gid.ToString(CultureInfo.InvariantCulture)));
        if (h.Size > MaxOctal11) AddRecord("size"u8, Ascii(h.Size.ToString(CultureInfo.InvariantCulture)));
        if (h.MtimeNanos != 0 || h.MtimeSeconds < 0 || h.MtimeSeconds > MaxOctal11) AddRecord("mtime"u8, Ascii(FormatTime(h.MtimeSeconds, h.MtimeNanos)));
        if (h.DevMajor > MaxOctal7 || h.DevMinor > MaxOctal7)
            throw new InvalidOperationException($"{h.Name}: device number {h.DevMajor}:{h.DevMinor} does not fit a tar header");
        if (xattrs is not null)
            foreach (var (xname, value) in xattrs)
                AddRecord(Encoding.UTF8.GetBytes("SCHILY.xattr." + xname), value);

        if (_pax.WrittenCount > 0)
        {
            var pax = new TarHeaderFields
            {
                Name = "PaxHeaders/" + Path.GetFileName(h.Name.TrimEnd('/')),
                TypeFlag = (byte)'x', Mode = 0x1A4 /* 0644 */, Size = _pax.WrittenCount,
                MtimeSeconds = Math.Clamp(h.MtimeSeconds, 0, MaxOctal11),
            };
            WriteUstar(pax, Encoding.UTF8.GetBytes(pax.Name), []);
            output.Write(_pax.WrittenSpan);
            Pad(_pax.WrittenCount);
        }
        WriteUstar(h, name, link);
    }

    /// <summary>Writes the zero bytes that complete the last data block of an entry of <paramref name="size"/> bytes.</summary>
    public void Pad(long size)
    {
        int rest = (int)(size % Block);
        if (rest != 0) output.Write(new byte[Block - rest]);
    }

    /// <summary>The end-of-archive marker: two zero blocks.</summary>
    public void Finish()
    {
        output.Write(new byte[2 * Block]);
        output.Flush();
    }

    private void WriteUstar(in TarHeaderFields h, byte[] name, byte[] link)
    {
        Span<byte> b = _header;
        b.Clear();
        CopyTruncated(name, b[..100]);
        Octal(b.Slice(100, 8), h.Mode & 0xFFF);
        Octal(b.Slice(108, 8), Math.Min(h.Uid, MaxOctal7));
        Octal(b.Slice(116, 8), Math.Min(h.Gid, MaxOctal7));
        Octal(b.Slice(124, 12), h.Size > MaxOctal11 ? 0 : h.Size);
        Octal(b.Slice(136, 12), Math.Clamp(h.MtimeSeconds, 0, MaxOctal11));
        b[156] = h.TypeFlag;
        CopyTruncated(link, b.Slice(157, 100));
        "ustar\0"u8.CopyTo(b[257..]);
        "00"u8.CopyTo(b[263..]);
        if (h.TypeFlag is (byte)'3' or (byte)'4')
        {
            Octal(b.Slice(329, 8), h.DevMajor);
            Octal(b.Slice(337, 8), h.DevMinor);
        }
        // The checksum counts its own field as eight spaces.
        b.Slice(148, 8).Fill((byte)' ');
        int sum = 0;
        foreach (byte x in b) sum += x;
        Octal(b.Slice(148, 7), sum);
        b[155] = (byte)' ';
        output.Write(b);
    }

    /// <summary>A pax record: "LENGTH KEY=VALUE\n", LENGTH counting the record including its own digits.</summary>
    private void AddRecord(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        int body = 1 + key.Length + 1 + value.Length + 1;   // " KEY=VALUE\n"
        int digits = 1;
        while (CountDigits(body + digits) != digits) digits++;
        string length = (body + digits).ToString(CultureInfo.InvariantCulture);
        Encoding.ASCII.GetBytes(length, _pax);
        _pax.Write(" "u8);
        _pax.Write(key);
        _pax.Write("="u8);
        _pax.Write(value);
        _pax.Write("\n"u8);
    }

    private static int CountDigits(int n) => n.ToString(CultureInfo.InvariantCulture).Length;

    private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

    private static string FormatTime(long seconds, long nanos)
    {
        if (nanos == 0) return seconds.ToString(CultureInfo.InvariantCulture);
        if (seconds < 0)
        {
            // -1.25 is seconds -2 + 0.75: pax writes the value, sign first.
            long total = seconds * 1_000_000_000 + nanos;
            long abs = -total;
            return "-" + (abs / 1_000_000_000).ToString(CultureInfo.InvariantCulture) + "." + (abs % 1_000_000_000).ToString("D9", CultureInfo.InvariantCulture);
        }
        return seconds.ToString(CultureInfo.InvariantCulture) + "." + nanos.ToString("D9", CultureInfo.InvariantCulture);
    }

    private static void CopyTruncated(byte[] source, Span<byte> field) => source.AsSpan(0, Math.Min(source.Length, field.Length)).CopyTo(field);

    /// <summary>Zero-padded octal digits filling all but the last byte of the field, which stays NUL.</summary>
    private static void Octal(Span<byte> field, long value)
    {
        for (int i = field.Length - 2; i >= 0; i--)
        {
            field[i] = (byte)('0' + (value & 7));
            value >>= 3;
        }
    }
}
