using System.CommandLine;
using Berth.Linux;
using Berth.Runtime;

namespace Berth.Cli.Runtime;

/// <summary>`run`: create + start, then (without --detach) wait, forward signals, delete, and exit with the container's status.</summary>
public static class RunCommand
{
    public static Command Build()
    {
        var detach = new Option<bool>("--detach", "-d") { Description = "detach from the container's process" };
        var keep = new Option<bool>("--keep") { Description = "do not delete the container after it exits" };
        var c = new Command("run", "create and start a container")
        {
            CreateCommand.Bundle, CreateCommand.ConsoleSocket, CreateCommand.PidFile, CreateCommand.NoPivot,
            CreateCommand.NoNewKeyring, CreateCommand.PreserveFds, detach, keep, CreateCommand.Id,
        };
        c.SetAction(p => RuntimeCli.Guard(p, rt => Execute(rt, fd => CreateCommand.Options(p, fd),
            p.GetValue(CreateCommand.ConsoleSocket) is not null, p.GetValue(detach), p.GetValue(keep))));
        return c;
    }

    /// <param name="options">The create options, given the fd of run's own pty proxy (-1 for none).</param>
    public static int Execute(ContainerRuntime rt, Func<int, CreateOptions> options, bool hasConsoleSocket, bool detached, bool keep)
    {
        using var proxy = !hasConsoleSocket && !detached ? new TerminalProxy() : null;
        var createOptions = options(proxy?.ChildEnd ?? -1);
        SignalForwarder? forward = null;
        // Signals go to the container's process from when it exists; registering costs about a
        // millisecond, spent while the init boots rather than after.
        if (!detached) createOptions.WhileInitBoots = pid => forward = new SignalForwarder(pid);
        try
        {
            var created = rt.Create(createOptions);
            if (detached)
            {
                rt.Start(created.Id);
                return 0;
            }
            if (created.Terminal && proxy is not null) proxy.Start();
            try
            {
                rt.Start(created.Id);
            }
            catch
            {
                rt.Delete(created.Id, force: true);
                throw;
            }
            StartupTrace.Mark("run: started");
            int code = Libc.WaitForExit(created.Pid);
            proxy?.DrainOutput();
            StartupTrace.Mark("run: exited");
            if (!keep) rt.Delete(created.Id, force: true);
            StartupTrace.Mark("run: deleted");
            return code;
        }
        finally { forward?.Dispose(); }
    }
}
