using Berth.Images.Pull;

namespace Berth.Cli.Images;

/// <summary>
/// Shows a pull as docker does: on a terminal one line per layer, redrawn in place with a progress
/// bar; otherwise one line per status change (no byte counts), which logs and scripts can read.
/// </summary>
public sealed class PullProgressWriter(TextWriter output, bool terminal)
{
    private readonly List<string> _ids = [];
    private readonly Dictionary<string, string> _last = [];
    private readonly Lock _lock = new();

    public static PullProgressWriter ForStdout() => new(Console.Out, !Console.IsOutputRedirected);

    public void Report(PullProgress p)
    {
        lock (_lock)
        {
            if (p.Id is null)
            {
                if (p.Status == PullStatus.Resolved) output.WriteLine(p.Detail);
                else if (p.Status == PullStatus.Done) output.WriteLine("Digest: " + p.Detail);
                output.Flush();
                return;
            }
            string text = p.Status switch
            {
                PullStatus.Waiting => "Pulling fs layer",
                PullStatus.AlreadyExists => "Already exists",
                PullStatus.Downloading => terminal ? "Downloading " + Bar(p.Current, p.Total) : "Downloading",
                PullStatus.Extracting => terminal ? "Extracting " + Bar(p.Current, p.Total) : "Extracting",
                PullStatus.Verifying => "Verifying Checksum",
                PullStatus.Complete => "Pull complete",
                _ => p.Status.ToString(),
            };
            string line = $"{p.Id}: {text}";
            if (!terminal)
            {
                if (_last.TryGetValue(p.Id, out var prev) && prev == line) return;
                _last[p.Id] = line;
                output.WriteLine(line);
                output.Flush();
                return;
            }
            int at = _ids.IndexOf(p.Id);
            if (at < 0)
            {
                _ids.Add(p.Id);
                output.Write(line + "\n");
            }
            else
            {
                int up = _ids.Count - at;
                // Up to the layer's line, clear it, write, and back down.
                output.Write($"\u001b[{up}A\r\u001b[2K{line}\r\u001b[{up}B");
            }
            output.Flush();
        }
    }

    /// <summary>[=====>      ]  5.2MB/51.2MB</summary>
    private static string Bar(long current, long total)
    {
        const int width = 50;
        if (total <= 0) return Formatting.Human.Size(current);
        int filled = (int)Math.Clamp(current * width / total, 0, width);
        string bar = new string('=', Math.Max(0, filled - 1)) + (filled > 0 ? ">" : "") + new string(' ', width - filled);
        return $"[{bar}]  {Formatting.Human.Size(current)}/{Formatting.Human.Size(total)}";
    }
}
