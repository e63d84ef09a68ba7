using System.CommandLine;
using System.Text.Json;
using Berth.Runtime;

namespace Berth.Cli.Runtime;

public static class ListCommand
{
    public static Command Build()
    {
        var quiet = new Option<bool>("--quiet", "-q") { Description = "display only container IDs" };
        var format = new Option<string>("--format", "-f") { Description = "table or json", DefaultValueFactory = _ => "table" };
        var c = new Command("list", "list the containers of this --root") { quiet, format };
        c.Aliases.Add("ls");
        c.SetAction(p => RuntimeCli.Guard(p, rt =>
        {
            var states = new List<StateOutput>();
            foreach (string id in rt.Store.Ids())
            {
                try { states.Add(rt.Describe(rt.Store.Load(id))); }
                catch (Exception e) when (e is RuntimeException or JsonException or IOException) { /* being deleted */ }
            }
            if (p.GetValue(quiet))
            {
                foreach (var s in states) Console.WriteLine(s.Id);
                return 0;
            }
            string f = p.GetValue(format)!;
            if (f == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(states, CliJsonContext.Default.ListStateOutput));
                return 0;
            }
            if (f != "table") throw new RuntimeException($"invalid format option \"{f}\"");
            var rows = new List<string[]> { new[] { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" } };
            rows.AddRange(states.Select(s => new[] { s.Id, s.Pid.ToString(), s.Status, s.Bundle, s.Created.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ"), s.Owner }));
            Table.Print(rows);
            return 0;
        }));
        return c;
    }
}

/// <summary>Columns padded like Go's tabwriter with runc's settings (min width 12, padding 1).</summary>
public static class Table
{
    public static void Print(List<string[]> rows)
    {
        int cols = rows[0].Length;
        var widths = Enumerable.Range(0, cols).Select(i => Math.Max(12, rows.Max(r => r[i].Length) + 1)).ToArray();
        var sb = new System.Text.StringBuilder();
        foreach (var r in rows)
        {
            for (int i = 0; i < cols; i++) sb.Append(i == cols - 1 ? r[i] : r[i].PadRight(widths[i]));
            sb.Append('\n');
        }
        Console.Write(sb.ToString());
    }
}
