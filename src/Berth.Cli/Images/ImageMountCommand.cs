using System.CommandLine;
using Berth.Cli.Engine;
using Berth.Images;

namespace Berth.Cli.Images;

/// <summary>podman image mount/unmount: an image's root filesystem, read-only, for inspection.</summary>
public static class ImageMountCommand
{
    public static Command BuildMount()
    {
        var name = new Argument<string>("IMAGE");
        var c = new Command("mount", "Mount an image's root filesystem read-only and print where") { name };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            Console.WriteLine(new ImageService(EngineCli.Storage(p)).Mount(p.GetValue(name)!));
            return 0;
        }));
        return c;
    }

    public static Command BuildUnmount()
    {
        var name = new Argument<string>("IMAGE");
        var c = new Command("unmount", "Unmount an image's root filesystem") { name };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            new ImageService(EngineCli.Storage(p)).Unmount(p.GetValue(name)!);
            return 0;
        }));
        return c;
    }
}
