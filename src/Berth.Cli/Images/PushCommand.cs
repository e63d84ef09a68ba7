using System.CommandLine;
using Berth.Cli.Engine;
using Berth.Images;
using Berth.Images.Push;
using Berth.Images.References;
using Berth.Images.Registry;

namespace Berth.Cli.Images;

public static class PushCommand
{
    public static Command Build()
    {
        var name = new Argument<string>("NAME[:TAG]");
        var quiet = new Option<bool>("--quiet", "-q") { Description = "suppress verbose output" };
        var c = new Command("push", "Upload an image to a registry") { name, quiet };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            string text = p.GetValue(name)!;
            if (!ImageReference.TryParse(text, out var reference, out string error)) throw new ImageException(error);
            if (reference.Digest is not null) throw new ImageException("cannot push a digest reference");
            reference = reference.WithDefaultTag();
            var storage = EngineCli.Storage(p);
            var image = new ImageService(storage).Get(reference.ToString());
            using var registry = new RegistryClient(EngineCli.RegistryOptions(p));
            bool q = p.GetValue(quiet);
            if (!q) Console.WriteLine($"The push refers to repository [{ImageService.Familiar(reference.ToString())[..^(reference.Tag!.Length + 1)]}]");
            var gate = new Lock();
            var (digest, size) = new ImagePusher(storage, registry).PushAsync(image, reference,
                q ? null : ev => { if (ev.Status != "Pushing") lock (gate) Console.WriteLine($"{ev.Id}: {ev.Status}"); },
                EngineCli.Interrupt()).GetAwaiter().GetResult();
            if (!q) Console.WriteLine($"{reference.Tag}: digest: {digest} size: {size}");
            else Console.WriteLine(reference.ToString());
            return 0;
        }));
        return c;
    }
}
