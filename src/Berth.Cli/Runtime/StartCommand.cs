using System.CommandLine;

namespace Berth.Cli.Runtime;

public static class StartCommand
{
    public static Command Build()
    {
        var id = new Argument<string>("container-id");
        var c = new Command("start", "start a created container") { id };
        c.SetAction(p => RuntimeCli.Guard(p, rt =>
        {
            rt.Start(p.GetValue(id)!);
            return 0;
        }));
        return c;
    }
}
