using System.CommandLine;
using Berth.Cli.Engine;
using Berth.Images;

namespace Berth.Cli.Images;

/// <summary>docker rmi: untags, and removes images with their last tag; an image in use needs --force.</summary>
public static class RmiCommand
{
    public static Command Build(string verb)
    {
        var names = new Argument<string[]>("IMAGE") { Arity = ArgumentArity.OneOrMore };
        var force = new Option<bool>("--force", "-f") { Description = "force removal of the image" };
        var noPrune = new Option<bool>("--no-prune") { Description = "accepted for compatibility; untagged parents are not kept" };
        var c = new Command(verb, "Remove one or more images") { names, force, noPrune };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            var service = new ImageService(EngineCli.Storage(p));
            int status = 0;
            foreach (var name in p.GetValue(names)!)
            {
                try { foreach (var line in service.Remove(name, p.GetValue(force))) Console.WriteLine(line); }
                catch (ImageException e) { Console.Error.WriteLine("Error: " + e.Message); status = 1; }
            }
            return status;
        }));
        return c;
    }
}
