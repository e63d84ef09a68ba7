using System.CommandLine;
using System.Text.Json;
using Berth.Runtime;

namespace Berth.Cli.Runtime;

public static class StateCommand
{
    public static Command Build()
    {
        var id = new Argument<string>("container-id");
        var c = new Command("state", "print the state of a container as JSON") { id };
        c.SetAction(p => RuntimeCli.Guard(p, rt =>
        {
            var state = rt.Describe(rt.Store.Load(p.GetValue(id)!));
            Console.WriteLine(JsonSerializer.Serialize(state, CliJsonContext.Default.StateOutput));
            return 0;
        }));
        return c;
    }
}
