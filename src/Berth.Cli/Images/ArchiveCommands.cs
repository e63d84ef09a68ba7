using System.CommandLine;
using Berth.Cli.Engine;
using Berth.Images;
using Berth.Images.Archive;
using Berth.Images.Manifests;

namespace Berth.Cli.Images;

/// <summary>docker save: images to a tar (docker-archive, or podman's --format oci-archive).</summary>
public static class SaveCommand
{
    public static Command Build(string verb)
    {
        var names = new Argument<string[]>("IMAGE") { Arity = ArgumentArity.OneOrMore };
        var output = new Option<string?>("--output", "-o") { Description = "write to a file instead of stdout" };
        var format = new Option<string>("--format") { Description = "docker-archive or oci-archive", DefaultValueFactory = _ => "docker-archive" };
        var c = new Command(verb, "Save one or more images to a tar archive (streamed to stdout by default)") { names, output, format };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            string? path = p.GetValue(output);
            if (path is null && !Console.IsOutputRedirected)
                throw new ImageException("cowardly refusing to save to a terminal. Use the -o flag or redirect");
            var service = new ImageService(EngineCli.Storage(p));
            if (path is null)
            {
                using var stdout = Console.OpenStandardOutput();
                ImageArchive.Save(service, p.GetValue(names)!, stdout, p.GetValue(format)!);
                return 0;
            }
            // Write beside the target and rename: a failed save leaves no half archive.
            string temp = path + ".berth-tmp";
            try
            {
                using (var file = File.Create(temp))
                    ImageArchive.Save(service, p.GetValue(names)!, file, p.GetValue(format)!);
                File.Move(temp, path, overwrite: true);
            }
            finally { File.Delete(temp); }
            return 0;
        }));
        return c;
    }
}

/// <summary>docker load: images from a docker-archive or oci-archive tar.</summary>
public static class LoadCommand
{
    public static Command Build(string verb)
    {
        var input = new Option<string?>("--input", "-i") { Description = "read from a tar archive file instead of stdin" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "suppress the load output" };
        var c = new Command(verb, "Load images from a tar archive or stdin") { input, quiet };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            string? path = p.GetValue(input);
            if (path is null && !Console.IsInputRedirected)
                throw new ImageException("requested load from stdin, but stdin is empty");
            using var stream = path is null ? Console.OpenStandardInput() : File.OpenRead(path);
            var lines = ImageArchive.Load(new ImageService(EngineCli.Storage(p)), stream, EngineCli.Interrupt());
            if (!p.GetValue(quiet)) foreach (var line in lines) Console.WriteLine(line);
            return 0;
        }));
        return c;
    }
}

/// <summary>docker import: a root filesystem tarball becomes an image.</summary>
public static class ImportCommand
{
    public static Command Build(string verb)
    {
        var file = new Argument<string>("file|URL|-");
        var name = new Argument<string?>("REPOSITORY[:TAG]") { Arity = ArgumentArity.ZeroOrOne };
        var change = new Option<string[]>("--change", "-c") { Description = "apply a Dockerfile instruction to the image" };
        var message = new Option<string?>("--message", "-m") { Description = "commit message for the imported image" };
        var platform = new Option<string?>("--platform") { Description = "os/arch[/variant] of the image" };
        var c = new Command(verb, "Import the contents from a tarball to create a filesystem image") { file, name, change, message, platform };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            string source = p.GetValue(file)!;
            if (source.Contains("://")) throw new ImageException("importing from a URL is not supported; download the file first");
            using var stream = source == "-" ? Console.OpenStandardInput() : File.OpenRead(source);
            var pl = p.GetValue(platform) is { } text ? PlatformMatcher.Parse(text) : PlatformMatcher.Host;
            var image = ImageImporter.Import(new ImageService(EngineCli.Storage(p)), stream, p.GetValue(name), p.GetValue(change) ?? [],
                p.GetValue(message), pl, source == "-" ? "-" : Path.GetFullPath(source), EngineCli.Interrupt());
            Console.WriteLine(image.Id);
            return 0;
        }));
        return c;
    }
}
