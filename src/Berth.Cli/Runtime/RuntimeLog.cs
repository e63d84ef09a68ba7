using System.Text.Json;

namespace Berth.Cli.Runtime;

/// <summary>
/// --log/--log-format/--debug: errors go to stderr and, when a log file is given, to it as runc
/// writes them; --debug adds a line for each command and its outcome (to the log file, or stderr).
/// </summary>
public sealed class RuntimeLog(string? path, string format, bool debug)
{
    public bool Debugging { get; } = debug;

    public void Error(string message)
    {
        Console.Error.WriteLine($"berth runtime: {message}");
        Write("error", message);
    }

    public void Debug(string message)
    {
        if (!Debugging) return;
        if (path is null) Console.Error.WriteLine($"berth runtime: debug: {message}");
        else Write("debug", message);
    }

    private void Write(string level, string message)
    {
        if (path is null) return;
        string time = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ");
        string line = format == "json"
            ? $"{{\"level\":\"{level}\",\"msg\":{JsonEncode(message)},\"time\":\"{time}\"}}\n"
            : $"time=\"{time}\" level={level} msg={JsonEncode(message)}\n";
        try { File.AppendAllText(path, line); } catch (IOException) { }
    }

    private static string JsonEncode(string s)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms)) w.WriteStringValue(s);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }
}
