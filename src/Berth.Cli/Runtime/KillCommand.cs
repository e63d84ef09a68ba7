using System.CommandLine;
using Berth.Linux;

namespace Berth.Cli.Runtime;

/// <summary>`kill [--all] ID [SIGNAL]`: SIGNAL as a name (KILL, SIGKILL) or number; SIGTERM by default.</summary>
public static class KillCommand
{
    public static Command Build()
    {
        var id = new Argument<string>("container-id");
        var signal = new Argument<string>("signal") { DefaultValueFactory = _ => "SIGTERM" };
        var all = new Option<bool>("--all", "-a") { Description = "send the signal to every process in the container" };
        var c = new Command("kill", "send a signal to the container's init process") { id, signal, all };
        c.SetAction(p => RuntimeCli.Guard(p, rt =>
        {
            rt.Kill(p.GetValue(id)!, Libc.ParseSignal(p.GetValue(signal)!), p.GetValue(all));
            return 0;
        }));
        return c;
    }
}
