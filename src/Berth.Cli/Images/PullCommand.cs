using System.CommandLine;
using Berth.Cli.Engine;
using Berth.Images;
using Berth.Images.Manifests;
using Berth.Images.Pull;
using Berth.Images.References;
using Berth.Images.Registry;

namespace Berth.Cli.Images;

public static class PullCommand
{
    public static Command Build()
    {
        var name = new Argument<string>("NAME[:TAG|@DIGEST]");
        var quiet = new Option<bool>("--quiet", "-q") { Description = "print only the image reference" };
        var platform = new Option<string?>("--platform") { Description = "os/arch[/variant] to pull from a multi-platform index" };
        var allTags = new Option<bool>("--all-tags", "-a") { Description = "not supported", Hidden = true };
        var c = new Command("pull", "Download an image from a registry") { name, quiet, platform, allTags };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            if (p.GetValue(allTags)) throw new ImageException("--all-tags is not supported");
            string text = p.GetValue(name)!;
            if (!ImageReference.TryParse(text, out var reference, out string error)) throw new ImageException(error);
            bool defaultTag = reference.Tag is null && reference.Digest is null;
            reference = reference.WithDefaultTag();
            var want = p.GetValue(platform) is { } pl ? PlatformMatcher.Parse(pl) : null;
            var storage = EngineCli.Storage(p);
            using var registry = new RegistryClient(EngineCli.RegistryOptions(p));
            var puller = new ImagePuller(storage, registry);
            var writer = p.GetValue(quiet) ? null : PullProgressWriter.ForStdout();
            if (!p.GetValue(quiet) && defaultTag) Console.WriteLine("Using default tag: latest");
            var result = puller.PullAsync(reference, want, writer is null ? null : writer.Report, EngineCli.Interrupt()).GetAwaiter().GetResult();
            string familiar = ImageService.Familiar(reference.ToString());
            if (!p.GetValue(quiet))
                Console.WriteLine(result.Downloaded
                    ? $"Status: Downloaded newer image for {familiar}"
                    : $"Status: Image is up to date for {familiar}");
            Console.WriteLine(reference.ToString());
            return 0;
        }));
        return c;
    }
}
