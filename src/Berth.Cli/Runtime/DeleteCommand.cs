using System.CommandLine;

namespace Berth.Cli.Runtime;

public static class DeleteCommand
{
    public static Command Build()
    {
        var id = new Argument<string>("container-id");
        var force = new Option<bool>("--force", "-f") { Description = "kill the container first if it is running" };
        var c = new Command("delete", "delete a stopped container and everything it holds") { id, force };
        c.SetAction(p => RuntimeCli.Guard(p, rt =>
        {
            rt.Delete(p.GetValue(id)!, p.GetValue(force));
            return 0;
        }));
        return c;
    }
}
