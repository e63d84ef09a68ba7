using System.CommandLine;
using Berth.Cli.Engine;

namespace Berth.Cli.Containers;

/// <summary>
/// docker port CONTAINER [PRIVATE_PORT[/PROTO]]. Berth has host and none networking only, so no
/// container ever has a published port: the listing is empty, and a port asked for is docker's
/// "No public port" error.
/// </summary>
public static class PortCommand
{
    public static Command Build()
    {
        var name = new Argument<string>("CONTAINER");
        var port = new Argument<string?>("PRIVATE_PORT[/PROTO]") { Arity = ArgumentArity.ZeroOrOne };
        var c = new Command("port", "List port mappings or a specific mapping for the container") { name, port };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            string reference = p.GetValue(name)!;
            ContainerCli.Engine(p).Get(reference);
            if (p.GetValue(port) is not { } asked) return 0;
            int slash = asked.IndexOf('/');
            string number = slash < 0 ? asked : asked[..slash];
            string proto = slash < 0 ? "tcp" : asked[(slash + 1)..];
            if (!ushort.TryParse(number, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
                throw new FormatException($"Invalid port: {number}");
            // docker prints this error as is: it carries its own "Error: ".
            Console.Error.WriteLine($"Error: No public port '{number}/{proto}' published for {reference}");
            return 1;
        }));
        return c;
    }
}
