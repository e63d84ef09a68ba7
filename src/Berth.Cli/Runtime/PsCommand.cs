using System.CommandLine;
using System.Text.Json;
using Berth.Linux;

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
            string[] lines = RunPs(args).Split('\n', StringSplitOptions.RemoveEmptyEntries);
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

    /// <summary>Runs the host's ps(1) (found on PATH) and returns its output.</summary>
    private static string RunPs(string[] args)
    {
        string ps = Berth.Runtime.Process.ProcessSettings.LookPath("ps", ["PATH=" + (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin")])
            ?? throw new Berth.Runtime.RuntimeException("ps: not found on PATH");
        var (readEnd, writeEnd) = Libc.Pipe();
        Berth.Runtime.Process.SpawnedChild child;
        try
        {
            child = Berth.Runtime.Process.Spawner.Spawn(new Berth.Runtime.Process.SpawnOptions
            {
                Path = ps, Args = ["ps", .. args], Env = ["PATH=/usr/bin:/bin", "LC_ALL=C"], FdMap = [(writeEnd, 1)],
            });
        }
        finally { Libc.close(writeEnd); }
        child.Dispose();
        using var output = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(readEnd, ownsHandle: true), FileAccess.Read);
        string text = new StreamReader(output).ReadToEnd();
        int code = Libc.WaitForExit(child.Pid);
        if (code != 0) throw new Berth.Runtime.RuntimeException($"ps {string.Join(' ', args)}: exit status {code}");
        return text;
    }
}
