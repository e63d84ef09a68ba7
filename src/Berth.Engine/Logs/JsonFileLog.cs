using System.Text;
using Berth.Engine.Model;
using Berth.Linux;

namespace Berth.Engine.Logs;

/// <summary>
/// docker's json-file log driver: one JSON object per line of output
/// (<c>{"log":"…\n","stream":"stdout","time":"RFC3339Nano"}</c>), a line cut into 16 KiB pieces at
/// most, with max-size/max-file rotation (ID-json.log, .1, .2 …). Written by the monitor with
/// plain write(2) on an O_APPEND descriptor: no serializer, no buffering that a crash could lose.
/// </summary>
public sealed class JsonFileLog : IDisposable
{
    private const int MaxLine = 16 * 1024;
    private readonly string _path;
    private readonly long _maxSize;
    private readonly int _maxFiles;
    private int _fd = -1;
    private long _size;
    // Grown on demand (a line escapes to at most 6 bytes a byte): most containers log short lines, or none.
    private byte[] _entry = new byte[512];
    // A line not yet ended, per stream (stdout, stderr); grown on demand up to MaxLine.
    private readonly byte[][] _pending = [new byte[256], new byte[256]];
    private readonly int[] _pendingLength = new int[2];

    public string FilePath => _path;
    public long MaxSize => _maxSize;
    public int MaxFiles => _maxFiles;

    /// <summary>Whether a line without its end waits in memory (it would be lost if the writer went away now).</summary>
    public bool HasPending => _pendingLength[0] + _pendingLength[1] > 0;

    public JsonFileLog(string path, long maxSize, int maxFiles)
    {
        _path = path;
        _maxSize = maxSize;
        _maxFiles = Math.Max(1, maxFiles);
        Open();
    }

    /// <summary>The log options of a container: max-size (docker's units) and max-file; 0 means no rotation.</summary>
    public static (long MaxSize, int MaxFiles) Options(LogConfig config)
    {
        long size = config.Config.TryGetValue("max-size", out var s) && s.Length > 0 ? ParseSize(s) : 0;
        int files = config.Config.TryGetValue("max-file", out var f) && int.TryParse(f, out var n) && n > 0 ? n : 1;
        return (size, files);
    }

    private static long ParseSize(string s)
    {
        string t = s.Trim().ToLowerInvariant().TrimEnd('b').TrimEnd('i');
        long unit = t.Length == 0 ? 1 : t[^1] switch { 'k' => 1L << 10, 'm' => 1L << 20, 'g' => 1L << 30, _ => 1 };
        if (unit != 1) t = t[..^1];
        return long.TryParse(t, out var v) && v > 0 ? v * unit : throw new FormatException($"invalid max-size: {s}");
    }

    private void Open()
    {
        _fd = Libc.open(_path, Libc.O_WRONLY | Libc.O_APPEND | Libc.O_CREAT | Libc.O_CLOEXEC, 0x1a0 /* 0640 */);
        if (_fd < 0) Errno.Throw($"open {_path}");
        _size = new FileInfo(_path).Length;
    }

    /// <summary>Output of one stream (0 stdout, 1 stderr): whole lines are written now, a partial one waits for its end.</summary>
    public void Write(int stream, ReadOnlySpan<byte> data)
    {
        var pending = _pending[stream];
        while (!data.IsEmpty)
        {
            int newline = data.IndexOf((byte)'\n');
            int take = newline >= 0 ? newline + 1 : data.Length;
            take = Math.Min(take, MaxLine - _pendingLength[stream]);
            if (_pendingLength[stream] + take > pending.Length)
            {
                Array.Resize(ref _pending[stream], Math.Min(MaxLine, Math.Max(pending.Length * 2, _pendingLength[stream] + take)));
                pending = _pending[stream];
            }
            data[..take].CopyTo(pending.AsSpan(_pendingLength[stream]));
            _pendingLength[stream] += take;
            data = data[take..];
            if (pending[_pendingLength[stream] - 1] == '\n' || _pendingLength[stream] == MaxLine) Flush(stream);
        }
    }

    /// <summary>Writes what a stream has pending, ended or not (at the container's exit).</summary>
    public void Flush(int stream)
    {
        if (_pendingLength[stream] == 0) return;
        Emit(stream, _pending[stream].AsSpan(0, _pendingLength[stream]), DateTime.UtcNow);
        _pendingLength[stream] = 0;
    }

    private unsafe void Emit(int stream, ReadOnlySpan<byte> line, DateTime time)
    {
        if (!System.Text.Unicode.Utf8.IsValid(line)) line = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(line));
        if (_entry.Length < line.Length * 6 + 128) Array.Resize(ref _entry, line.Length * 6 + 128);
        int n = 0;
        Append("{\"log\":\""u8, ref n);
        foreach (byte b in line)
        {
            switch (b)
            {
                case (byte)'"': Append("\\\""u8, ref n); break;
                case (byte)'\\': Append("\\\\"u8, ref n); break;
                case (byte)'\n': Append("\\n"u8, ref n); break;
                case (byte)'\r': Append("\\r"u8, ref n); break;
                case (byte)'\t': Append("\\t"u8, ref n); break;
                case < 0x20 or (byte)'<' or (byte)'>' or (byte)'&':
                    Append("\\u00"u8, ref n);
                    _entry[n++] = (byte)"0123456789abcdef"[b >> 4];
                    _entry[n++] = (byte)"0123456789abcdef"[b & 15];
                    break;
                default: _entry[n++] = b; break;
            }
        }
        Append(stream == 0 ? "\",\"stream\":\"stdout\",\"time\":\""u8 : "\",\"stream\":\"stderr\",\"time\":\""u8, ref n);
        n += Encoding.ASCII.GetBytes(Rfc3339Converter.Format(time), _entry.AsSpan(n));
        Append("\"}\n"u8, ref n);
        if (_maxSize > 0 && _size + n > _maxSize && _size > 0) Rotate();
        Libc.WriteAll(_fd, _entry.AsSpan(0, n), $"write {_path}");
        _size += n;
    }

    private void Append(ReadOnlySpan<byte> bytes, ref int n)
    {
        bytes.CopyTo(_entry.AsSpan(n));
        n += bytes.Length;
    }

    private void Rotate()
    {
        Libc.close(_fd);
        if (_maxFiles > 1)
        {
            for (int i = _maxFiles - 1; i >= 1; i--)
            {
                string from = i == 1 ? _path : $"{_path}.{i - 1}";
                if (File.Exists(from)) File.Move(from, $"{_path}.{i}", overwrite: true);
            }
        }
        else File.Delete(_path);
        Open();
    }

    public void Dispose()
    {
        Flush(0);
        Flush(1);
        if (_fd >= 0) Libc.close(_fd);
        _fd = -1;
    }
}
