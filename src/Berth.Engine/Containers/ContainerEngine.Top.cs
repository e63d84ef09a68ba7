using System.Diagnostics;

namespace Berth.Engine.Containers;

/// <summary>`ps` output narrowed to one container: its header's titles and, per process, one cell per title (the last takes the rest of the line).</summary>
public sealed record ProcessTable(IReadOnlyList<string> Titles, IReadOnlyList<IReadOnlyList<string>> Processes);

// top: the host's ps, keeping the rows of the container's processes, as docker's daemon does.
public sealed partial class ContainerEngine
{
    /// <summary>docker top: runs the host's `ps <paramref name="psArgs"/>` (default -ef) and keeps the rows whose PID is in the container's cgroup.</summary>
    public ProcessTable Top(string reference, IReadOnlyList<string> psArgs)
    {
        var c = Get(reference);
        if (!c.State.Running || c.State.Restarting) throw new ContainerException($"container {c.Id} is not running", 1);
        var pids = new HashSet<int>(Runtime().Pids(c.Id));
        var table = FilterPs(RunPs(psArgs.Count > 0 ? psArgs : ["-ef"]), pids);
        Events.Container(c, "top");
        return table;
    }

    private static string RunPs(IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo("ps") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        Process ps;
        try { ps = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new ContainerException("error running top: ps: " + e.Message, 1); }
        using (ps)
        {
            var error = ps.StandardError.ReadToEndAsync();
            string output = ps.StandardOutput.ReadToEnd();
            ps.WaitForExit();
            if (ps.ExitCode != 0) throw new ContainerException($"ps: exit status {ps.ExitCode}: {error.Result.Trim()}", 1);
            return output;
        }
    }

    /// <summary>
    /// docker's reading of ps output: titles are the header's words; a row is kept when its PID
    /// column is one of <paramref name="pids"/>, and so are the thread rows ("-" as PID, from -L
    /// or m) that follow a kept row.
    /// </summary>
    public static ProcessTable FilterPs(string output, IReadOnlySet<int> pids)
    {
        var lines = output.Split('\n');
        var titles = lines[0].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        int pidColumn = Array.IndexOf(titles, "PID");
        if (pidColumn < 0) throw new ContainerException("Couldn't find PID field in ps output", 1);
        var rows = new List<IReadOnlyList<string>>();
        bool previousKept = false;
        foreach (var line in lines.Skip(1))
        {
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0) continue;
            if (fields.Length <= pidColumn) throw new ContainerException($"Unexpected ps output line: {line}", 1);
            bool keep;
            if (fields[pidColumn] == "-") keep = previousKept;
            else
            {
                if (!int.TryParse(fields[pidColumn], out int pid)) throw new ContainerException($"Unexpected pid '{fields[pidColumn]}'", 1);
                keep = previousKept = pids.Contains(pid);
            }
            if (keep) rows.Add(Row(fields, titles.Length));
        }
        return new ProcessTable(titles, rows);
    }

    // One cell per title; the command's words are the last cell, joined again.
    private static string[] Row(string[] fields, int columns)
    {
        if (fields.Length <= columns) return fields;
        var row = fields[..(columns - 1)].ToList();
        row.Add(string.Join(' ', fields[(columns - 1)..]));
        return [.. row];
    }
}
