using System.CommandLine;
using Berth.Cli.Engine;
using Berth.Engine.Containers;
using Berth.Engine.Options;

namespace Berth.Cli.Containers;

/// <summary>
/// docker update [resource flags] [--restart POLICY] CONTAINER…: changes HostConfig and, for a
/// running container, its live cgroup; prints each container as given. Values are read by the same
/// parsers, with the same messages, as run's flags of the same names.
/// </summary>
public static class UpdateCommand
{
    private static readonly (string Name, string? Short, string Description)[] s_flags =
    [
        ("--blkio-weight", null, "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)"),
        ("--cpu-period", null, "Limit CPU CFS (Completely Fair Scheduler) period"),
        ("--cpu-quota", null, "Limit CPU CFS (Completely Fair Scheduler) quota"),
        ("--cpu-shares", "-c", "CPU shares (relative weight)"),
        ("--cpus", null, "Number of CPUs"),
        ("--cpuset-cpus", null, "CPUs in which to allow execution (0-3, 0,1)"),
        ("--cpuset-mems", null, "MEMs in which to allow execution (0-3, 0,1)"),
        ("--memory", "-m", "Memory limit"),
        ("--memory-reservation", null, "Memory soft limit"),
        ("--memory-swap", null, "Swap limit equal to memory plus swap: -1 to enable unlimited swap"),
        ("--pids-limit", null, "Tune container pids limit (set -1 for unlimited)"),
        ("--restart", null, "Restart policy to apply when a container exits"),
    ];

    public static Command Build()
    {
        var names = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
        var options = s_flags.Select(f => new Option<string?>(f.Name, f.Short is null ? [] : [f.Short]) { Description = f.Description }).ToList();
        var c = new Command("update", "Update configuration of one or more containers") { names };
        foreach (var o in options) c.Options.Add(o);
        c.SetAction(p =>
        {
            var run = new RunOptions();
            int given = 0;
            try
            {
                foreach (var o in options)
                {
                    if (p.GetValue(o) is not { } value) continue;
                    RunFlagTable.Find(o.Name)!.Set(run, value);
                    given++;
                }
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine($"{e.Message}\nSee 'berth update --help'.");
                return 125;
            }
            if (given == 0)
            {
                Console.Error.WriteLine("Error: you must provide one or more flags when using this command");
                return 1;
            }
            ResourceUpdate update;
            try
            {
                update = new ResourceUpdate
                {
                    Memory = run.Memory, MemorySwap = run.MemorySwap, MemoryReservation = run.MemoryReservation, NanoCpus = run.NanoCpus,
                    CpuShares = run.CpuShares, CpuPeriod = run.CpuPeriod, CpuQuota = run.CpuQuota, CpusetCpus = run.CpusetCpus,
                    CpusetMems = run.CpusetMems, PidsLimit = run.PidsLimit, BlkioWeight = run.BlkioWeight,
                    RestartPolicy = run.Restart is { } restart ? RestartFlag.Parse(restart) : null,
                };
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine("Error: " + e.Message);
                return 1;
            }
            var engine = ContainerCli.Engine(p);
            return ContainerCli.ForEach(p.GetValue(names)!, name =>
            {
                engine.Update(name, update);
                Console.WriteLine(name);
            });
        });
        return c;
    }
}
