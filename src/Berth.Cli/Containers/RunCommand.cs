using System.CommandLine;
using Berth.Cli.Engine;
using Berth.Engine.Containers;
using Berth.Images;
using Berth.Images.Manifests;
using Berth.Images.Pull;
using Berth.Images.References;
using Berth.Images.Registry;

namespace Berth.Cli.Containers;

/// <summary>
/// docker run and docker create. Flags stop at the image, as docker's do (`run busybox ls -l`
/// gives -l to ls), so the tokens are split before the command line is parsed.
/// </summary>
public static class RunCommand
{
    /// <summary>Parses and runs `[global options] run|create …` (or `container run|create …`).</summary>
    public static int Execute(string[] args, int verbAt)
    {
        string verb = args[verbAt];
        var flags = new RunFlags();
        var detach = new Option<bool>("--detach", "-d") { Description = "Run container in background and print container ID" };
        var sigProxy = new Option<bool>("--sig-proxy") { Description = "Proxy received signals to the process", DefaultValueFactory = _ => true };
        var command = new Command(verb, verb == "run" ? "Create and run a new container from an image" : "Create a new container");
        flags.AddTo(command);
        if (verb == "run") { command.Options.Add(detach); command.Options.Add(sigProxy); }

        // The global options are known to the command only once it sits under the root.
        var root = new RootCommand("berth") { EngineCli.RootOption, EngineCli.RunRootOption, EngineCli.StorageDriverOption, EngineCli.InsecureRegistryOption };
        root.Subcommands.Add(command);
        var (flagTokens, image, commandArgs) = RunFlags.Split(args[(verbAt + 1)..], command);
        var parsed = root.Parse([.. args[..verbAt].Where(a => a != "container"), verb, .. flagTokens]);
        if (parsed.Errors.Count > 0)
        {
            foreach (var e in parsed.Errors) Console.Error.WriteLine($"Error: {e.Message}");
            return 125;
        }
        if (image is null && flagTokens.Any(t => t is "--help" or "-?")) return parsed.Invoke();
        if (image is null)
        {
            Console.Error.WriteLine($"\"berth {verb}\" requires at least 1 argument.\nUsage:  berth {verb} [OPTIONS] IMAGE [COMMAND] [ARG...]");
            return 125;
        }
        return ContainerCli.GuardStart(() =>
        {
            Berth.Linux.StartupTrace.Mark("run: parsed");
            var request = flags.Read(parsed, image, commandArgs);
            // docker: stdin closes with the client only for a client that stays attached.
            if (verb == "create" || parsed.GetValue(detach)) request.Config.StdinOnce = false;
            var engine = ContainerCli.Engine(parsed);
            EnsureImage(parsed, engine, image, flags.PullPolicy(parsed), flags.Platform(parsed));
            Berth.Linux.StartupTrace.Mark("run: image ready");
            void WriteCidFile(Berth.Engine.Model.Container c)
            {
                if (request.HostConfig.ContainerIDFile is { Length: > 0 } cidFile) File.WriteAllText(cidFile, c.Id);
            }
            if (verb == "create")
            {
                var made = engine.Create(request);
                WriteCidFile(made);
                Console.WriteLine(made.Id);
                return 0;
            }
            string id = "";
            if (parsed.GetValue(detach))
            {
                using var started = engine.Run(request, attach: null, created: c => { id = c.Id; WriteCidFile(c); });
                Console.WriteLine(id);
                return 0;
            }
            var streams = flags.AttachStreams(parsed);
            bool stdin = request.Config.OpenStdin;
            bool tty = request.Config.Tty;
            bool wantOut = streams.Count == 0 || streams.Contains("stdout");
            bool wantErr = !tty && (streams.Count == 0 || streams.Contains("stderr"));
            Console.Out.Flush();
            using var session = engine.Run(request, s => s.Attach(wantOut ? 1 : -1, wantErr ? 2 : -1, stdin), c => { id = c.Id; WriteCidFile(c); });
            int pid = engine.Store.Load(id).State.Pid;
            int code = AttachedStreams.Follow(engine, id, session, tty, stdin, pid, parsed.GetValue(sigProxy));
            return code == AttachedStreams.Detached ? 0 : code;
        });
    }

    /// <summary>docker's --pull: missing (the default) pulls an image not stored yet, always pulls, never refuses.</summary>
    private static void EnsureImage(ParseResult p, ContainerEngine engine, string image, string policy, string? platform)
    {
        bool present = engine.Images.TryGet(image) is not null;
        if (policy == "never" && !present) throw new ContainerException($"No such image: {image}");
        if (policy == "missing" && present) return;
        if (!ImageReference.TryParse(image, out var reference, out string error))
        {
            if (present) return;
            throw new ContainerException(error);
        }
        reference = reference.WithDefaultTag();
        if (!present) Console.Error.WriteLine($"Unable to find image '{ImageService.Familiar(reference.ToString())}' locally");
        using var registry = new RegistryClient(EngineCli.RegistryOptions(p));
        var puller = new ImagePuller(engine.Storage, registry);
        var want = platform is null ? null : PlatformMatcher.Parse(platform);
        var result = puller.PullAsync(reference, want, null, EngineCli.Interrupt()).GetAwaiter().GetResult();
        Console.Error.WriteLine($"Status: {(result.Downloaded ? "Downloaded newer image" : "Image is up to date")} for {ImageService.Familiar(reference.ToString())}");
    }
}
