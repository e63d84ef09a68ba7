using System.CommandLine;

namespace Berth.Cli.Runtime;

public static class PauseCommand
{
    public static Command Build()
    {
        var id = new Argument<string>("container-id");
        var c = new Command("pause", "freeze every process of the container") { id };
        c.SetAction(p => RuntimeCli.Guard(p, rt =>
        {
            rt.Pause(p.GetValue(id)!);
            return 0;
        }));
        return c;
    }
}

public static class ResumeCommand
{
    public static Command Build()
    {
        var id = new Argument<string>("container-id");
        var c = new Command("resume", "thaw a paused container") { id };
        c.SetAction(p => RuntimeCli.Guard(p, rt =>
        {
            rt.Resume(p.GetValue(id)!);
            return 0;
        }));
        return c;
    }
}
