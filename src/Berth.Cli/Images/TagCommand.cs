using System.CommandLine;
using Berth.Cli.Engine;
using Berth.Images;

namespace Berth.Cli.Images;

public static class TagCommand
{
    public static Command Build(string verb)
    {
        var source = new Argument<string>("SOURCE_IMAGE[:TAG]");
        var target = new Argument<string>("TARGET_IMAGE[:TAG]");
        var c = new Command(verb, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE") { source, target };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            new ImageService(EngineCli.Storage(p)).Tag(p.GetValue(source)!, p.GetValue(target)!);
            return 0;
        }));
        return c;
    }
}
