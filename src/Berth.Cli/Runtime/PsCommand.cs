using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;

namespace Berth.Cli.Runtime;

/// <summary>`ps [--format table|json] ID [ps options]`: the container's processes, as runc lists them.</summary>
public static class PsCommand
{
    public static Command Build()
    {
        var format = new Option<string>("--format", "-f") { Description = "table or json", DefaultValueFactory = _ => "table" };
        var id = new Argument<string>("container-id");
        var psArgs = new Argument<string[]>("ps-options") { Arity = ArgumentArity.ZeroOrMore };
        var c = new Command("ps", "display the processes running inside a container") { format, id, psArgs };
        c.SetAction(p => RuntimeCli.Guard(p, rt =>
        {
            var pids = rt.Pids(p.GetValue(id)!).ToHashSet();
            if (p.GetValue(format) == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(pids.Order().ToList(), CliJsonContext.Default.ListInt));
                return 0;
            }
            var args = p.GetValue(psArgs) is { Length: > 0 } a ? a : ["-ef"];
            var psi = new ProcessStartInfo("ps") { RedirectStandardOutput = true, UseShellExecute = false };
            foreach (string arg in args) psi.ArgumentList.Add(arg);
            using var ps = Process.Start(psi)!;
            string[] lines = ps.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            ps.WaitForExit();
            if (lines.Length == 0) return 1;
            int pidColumn = Array.IndexOf(lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries), "PID");
            if (pidColumn < 0) throw new Berth.Runtime.RuntimeException("ps: its output has no PID column");
            Console.WriteLine(lines[0]);
            foreach (string line in lines.Skip(1))
            {
                string[] cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (cols.Length > pidColumn && int.TryParse(cols[pidColumn], out int pid) && pids.Contains(pid)) Console.WriteLine(line);
            }
            return 0;
        }));
        return c;
    }
}
