using System.CommandLine;
using Berth.Cli.Containers;
using Berth.Cli.Images;
using Berth.Images;
using Berth.Images.Manifests;
using Berth.Images.Registry;
using Berth.Images.Store;
using Berth.Linux;

namespace Berth.Cli.Engine;

/// <summary>
/// `berth …`: the engine's commands, with docker's names, flags and output (podman's names for the
/// storage options, --root and --runroot).
/// </summary>
public static class EngineCli
{
    public static readonly Option<string> RootOption = new("--root")
    {
        Description = "storage root directory", DefaultValueFactory = _ => ImageStorage.DefaultRoot, Recursive = true,
    };
    public static readonly Option<string> RunRootOption = new("--runroot")
    {
        Description = "run-time state directory", DefaultValueFactory = _ => ImageStorage.DefaultRunRoot, Recursive = true,
    };
    public static readonly Option<string> StorageDriverOption = new("--storage-driver")
    {
        Description = "overlay, or vfs (plain copies) where overlayfs cannot serve", DefaultValueFactory = _ => "overlay", Recursive = true,
    };
    public static readonly Option<string[]> InsecureRegistryOption = new("--insecure-registry")
    {
        Description = "registry host[:port] to reach over plain http (127.0.0.1 and localhost always are)",
        Recursive = true, AllowMultipleArgumentsPerToken = false,
    };

    private static readonly (string Name, Func<Command> Build)[] s_commands =
    [
        ("pull", PullCommand.Build), ("push", PushCommand.Build), ("images", () => ImagesCommand.Build("images")),
        ("image", ImageGroup.Build), ("rmi", () => RmiCommand.Build("rmi")), ("tag", () => TagCommand.Build("tag")),
        ("history", () => HistoryCommand.Build("history")), ("save", () => SaveCommand.Build("save")),
        ("load", () => LoadCommand.Build("load")), ("import", () => ImportCommand.Build("import")),
        ("login", LoginCommand.Build), ("logout", LogoutCommand.Build), ("system", SystemGroup.Build),
        ("ps", () => PsCommand.Build("ps")), ("start", StartCommand.Build), ("stop", () => StopCommand.Build("stop")),
        ("restart", () => StopCommand.Build("restart")), ("kill", KillCommand.Build), ("rm", () => RmCommand.Build("rm")),
        ("wait", WaitCommand.Build), ("pause", () => PauseCommand.Build("pause")), ("unpause", () => PauseCommand.Build("unpause")),
        ("rename", RenameCommand.Build), ("logs", LogsCommand.Build), ("inspect", () => InspectCommand.Build(containersOnly: false)),
        ("container", ContainerGroup.Build),
        ("events", EventsCommand.Build), ("attach", AttachCommand.Build),
        ("top", TopCommand.Build), ("port", PortCommand.Build), ("stats", StatsCommand.Build), ("update", UpdateCommand.Build),
        ("cp", CpCommand.Build), ("diff", DiffCommand.Build), ("commit", CommitCommand.Build), ("volume", Volumes.VolumeGroup.Build),
    ];

    public static int Run(string[] args)
    {
        var root = new RootCommand("berth: a container engine")
        {
            RootOption, RunRootOption, StorageDriverOption, InsecureRegistryOption,
        };
        int verbAt = VerbIndex(args);
        string? verb = verbAt >= 0 ? args[verbAt] : null;
        if (verb is "run" or "create") return RunCommand.Execute(args, verbAt);
        if (verb == "container" && verbAt + 1 < args.Length && args[verbAt + 1] is "run" or "create")
            return RunCommand.Execute([.. args[..verbAt], .. args[(verbAt + 1)..]], verbAt);
        if (verb == "exec") return ExecCommand.Execute(args, verbAt);
        if (verb == "container" && verbAt + 1 < args.Length && args[verbAt + 1] == "exec")
            return ExecCommand.Execute([.. args[..verbAt], .. args[(verbAt + 1)..]], verbAt);
        bool known = s_commands.Any(c => c.Name == verb);
        foreach (var (name, build) in s_commands)
            if (!known || name == verb) root.Subcommands.Add(build());
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var e in parsed.Errors) Console.Error.WriteLine($"Error: {e.Message}");
            return 125;
        }
        return parsed.Invoke();
    }

    /// <summary>Where the verb is: the first token that is not a global option or its value.</summary>
    private static int VerbIndex(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (!a.StartsWith('-')) return i;
            if (a is "--root" or "--runroot" or "--storage-driver" or "--insecure-registry") i++;
        }
        return -1;
    }

    public static ImageStorage Storage(ParseResult p) =>
        new(p.GetValue(RootOption)!, p.GetValue(RunRootOption)!, p.GetValue(StorageDriverOption)!);

    public static RegistryOptions RegistryOptions(ParseResult p) => new()
    {
        InsecureRegistries = p.GetValue(InsecureRegistryOption) ?? [],
        Credentials = CredentialStore.Load(),
        UserAgent = "berth/" + Program.Version,
    };

    /// <summary>Runs a command with the engine's error convention: "Error: …" on one line, exit 1.</summary>
    public static int Guard(Func<int> body) => Guard(body, failure: 1);

    /// <param name="failure">The exit code of an error; for run, create and start docker's 125, where an
    /// engine error carries its own (126, 127) instead.</param>
    public static int Guard(Func<int> body, int failure)
    {
        try { return body(); }
        catch (AggregateException e) when (e.InnerException is not null) { return Fail(e.InnerException, failure); }
        catch (Exception e) { return Fail(e, failure); }
    }

    private static int Fail(Exception e, int failure)
    {
        if (e is OperationCanceledException) { Console.Error.WriteLine("Error: canceled"); return 130; }
        // The engine's refusals are expected too: their message, no stack trace.
        bool expected = e is ImageException or ImageFormatException or RegistryException or SyscallException or IOException
            or UnauthorizedAccessException or FormatException or ArgumentException or InvalidDataException or InvalidOperationException
            or Berth.Engine.Containers.ContainerException or Berth.Engine.Containers.NoSuchContainerException or Berth.Runtime.RuntimeException;
        Console.Error.WriteLine("Error: " + (expected ? e.Message : e.ToString()).ReplaceLineEndings(" "));
        return e is Berth.Engine.Containers.ContainerException c && failure != 1 ? c.ExitCode : failure;
    }

    /// <summary>A cancellation token that Ctrl-C (SIGINT) and SIGTERM trip.</summary>
    public static CancellationToken Interrupt()
    {
        var cts = new CancellationTokenSource();
        s_signals.Add(System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; cts.Cancel(); }));
        s_signals.Add(System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); }));
        return cts.Token;
    }

    // Registrations live as long as the process: a collected one would stop handling its signal.
    private static readonly List<IDisposable> s_signals = [];
}
