using System.CommandLine;
using Berth.Cli.Engine;
using Berth.Engine.Containers;

namespace Berth.Cli.Containers;

/// <summary>docker commit [-a AUTHOR] [-m MESSAGE] [-c CHANGE]… [-p] CONTAINER [REPOSITORY[:TAG]]: prints the new image's id.</summary>
public static class CommitCommand
{
    public static Command Build()
    {
        var container = new Argument<string>("CONTAINER");
        var name = new Argument<string?>("REPOSITORY[:TAG]") { Arity = ArgumentArity.ZeroOrOne };
        var author = new Option<string?>("--author", "-a") { Description = "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")" };
        var message = new Option<string?>("--message", "-m") { Description = "Commit message" };
        var change = new Option<string[]>("--change", "-c") { Description = "Apply Dockerfile instruction to the created image" };
        var pause = new Option<bool>("--pause", "-p") { Description = "Pause container during commit", DefaultValueFactory = _ => true };
        var c = new Command("commit", "Create a new image from a container's changes") { container, name, author, message, change, pause };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            var image = ContainerCli.Engine(p).Commit(p.GetValue(container)!, new CommitOptions
            {
                Reference = p.GetValue(name),
                Author = p.GetValue(author) ?? "",
                Comment = p.GetValue(message) ?? "",
                Changes = p.GetValue(change) ?? [],
                Pause = p.GetValue(pause),
            });
            Console.WriteLine(image.Id);
            return 0;
        }));
        return c;
    }
}
