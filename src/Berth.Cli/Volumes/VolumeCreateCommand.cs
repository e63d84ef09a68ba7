using System.CommandLine;
using Berth.Cli.Containers;
using Berth.Cli.Engine;
using Berth.Engine.Options;

namespace Berth.Cli.Volumes;

/// <summary>docker volume create [--driver local] [--label K=V]… [NAME]: prints the name (a random one when none is given).</summary>
public static class VolumeCreateCommand
{
    public static Command Build()
    {
        var name = new Argument<string?>("VOLUME") { Arity = ArgumentArity.ZeroOrOne };
        var driver = new Option<string>("--driver", "-d") { Description = "Specify volume driver name", DefaultValueFactory = _ => "local" };
        var label = new Option<string[]>("--label") { Description = "Set metadata for a volume" };
        var c = new Command("create", "Create a volume") { name, driver, label };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            var labels = new Dictionary<string, string>();
            foreach (var l in p.GetValue(label) ?? [])
            {
                var (k, v) = KeyValueFlags.ParseLabel(l);
                labels[k] = v;
            }
            var volume = ContainerCli.Engine(p).CreateVolume(p.GetValue(name), labels, p.GetValue(driver)!);
            Console.WriteLine(volume.Name);
            return 0;
        }));
        return c;
    }
}
